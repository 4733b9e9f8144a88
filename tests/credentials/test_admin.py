"""Staff see credentials in the admin, read-only: issuing is the learner's claim, revoking what
happens to their portfolio."""

from credentials.models import Credential


def test_the_admin_lists_credentials_read_only(client_for, people, claimed):
    client = client_for(people.admin)
    listing = client.get("/admin/credentials/credential/")
    assert listing.status_code == 200 and claimed.title in listing.content.decode()
    change = client.get(f"/admin/credentials/credential/{claimed.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert client.get("/admin/credentials/credential/add/").status_code == 403
    assert client.post(f"/admin/credentials/credential/{claimed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Credential.objects.filter(pk=claimed.pk).exists()


def test_only_staff_reach_it(client_for, people, claimed):
    for who in (people.student, people.mentor, people.instructor):
        assert client_for(who).get("/admin/credentials/credential/").status_code == 302
