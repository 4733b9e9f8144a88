"""What credentials gives a person who asks for their data, and nobody else's."""

from credentials import services
from credentials.privacy import PROVIDER
from credentials.signing import payload_of
from portfolios import services as portfolio_services
from privacy.registry import covered_models, providers


class Archive:
    def __init__(self):
        self.json = {}

    def add_json(self, path, data):
        self.json[path] = data

    def add_file(self, path, source):
        return False


def test_the_export_holds_each_credential_as_issued_and_its_revocation(people, published, claimed):
    _, entries = published
    second = services.credential_claim(entry=entries[1], by=people.student)
    portfolio_services.entry_unpublish(entry=entries[1], by=people.student)
    archive = Archive()
    PROVIDER.export(people.student, archive)
    exported = {row["id"]: row for row in archive.json["credentials.json"]}
    assert set(exported) == {str(claimed.pk), str(second.pk)}
    assert exported[str(claimed.pk)]["jwt"] == claimed.jwt
    assert exported[str(claimed.pk)]["credential"] == payload_of(claimed.jwt)
    assert exported[str(claimed.pk)]["revoked_at"] is None
    assert exported[str(second.pk)]["revocation_reason"] == "unpublished"
    nobody = Archive()
    PROVIDER.export(people.other_student, nobody)
    assert nobody.json["credentials.json"] == []


def test_the_provider_is_collected_and_covers_the_model(db):
    assert PROVIDER in providers()
    assert "credentials.Credential" in covered_models()
    # Erasure runs the providers backwards: credentials revoke before the portfolio is deleted.
    labels = [p.label for p in providers()]
    assert labels.index("Credentials") > labels.index("Portfolio")
