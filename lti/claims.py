"""The parts of a validated LTI 1.3 message this tool uses, read once into a plain value that
fits in the session (a launch may continue after the person signs in)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"

# The context roles (LIS "membership" vocabulary, or the short names some platforms send) that
# have a place here. A teaching assistant's URI is membership/Instructor#TeachingAssistant: the
# name after "#" decides. Institution and system roles count only for administrators (an
# institution's "Instructor" may be a learner in this course).
_CONTEXT_ROLES = {
    "Instructor": "instructor",
    "Administrator": "instructor",
    "ContentDeveloper": "instructor",
    "TeachingAssistant": "mentor",
    "Mentor": "mentor",
    "Learner": "student",
}


def role_for(roles: list[str]) -> str | None:
    """Our role for the LMS roles of a launch: instructor over mentor over student; None when
    none of them has a place here (an observer, a guest)."""
    found = set()
    for uri in roles:
        name = uri.rsplit("#", 1)[-1]
        if "/membership" in uri or "/" not in uri:
            if name in _CONTEXT_ROLES:
                found.add(_CONTEXT_ROLES[name])
        elif name == "Administrator" and ("/institution/" in uri or "/system/" in uri):
            found.add("instructor")
    for ours in ("instructor", "mentor", "student"):
        if ours in found:
            return ours
    return None


@dataclass
class Launch:
    platform_id: int
    deployment_pk: int
    message_type: str
    issuer: str
    sub: str
    roles: list[str]
    role: str | None
    email: str = ""
    name: str = ""
    context_id: str = ""
    context_title: str = ""
    context_label: str = ""
    resource_link_id: str = ""
    resource_link_title: str = ""
    custom: dict = field(default_factory=dict)
    lineitems_url: str = ""
    lineitem_url: str = ""
    ags_scopes: list[str] = field(default_factory=list)
    memberships_url: str = ""
    deep_linking_settings: dict = field(default_factory=dict)
    deployment_id: str = ""

    @classmethod
    def from_message(cls, body: dict, *, platform_id: int, deployment_pk: int) -> Launch:
        context = body.get(f"{LTI}context") or {}
        link = body.get(f"{LTI}resource_link") or {}
        ags = body.get(AGS) or {}
        nrps = body.get(NRPS) or {}
        roles = [str(role) for role in body.get(f"{LTI}roles") or []]
        name = body.get("name") or " ".join(part for part in (body.get("given_name"), body.get("family_name")) if part)
        custom = body.get(f"{LTI}custom") or {}
        return cls(
            platform_id=platform_id,
            deployment_pk=deployment_pk,
            deployment_id=str(body.get(f"{LTI}deployment_id") or ""),
            message_type=str(body.get(f"{LTI}message_type") or ""),
            issuer=str(body["iss"]),
            sub=str(body.get("sub") or ""),
            roles=roles,
            role=role_for(roles),
            email=str(body.get("email") or "").strip().lower(),
            name=str(name or "")[:150],
            context_id=str(context.get("id") or ""),
            context_title=str(context.get("title") or "")[:255],
            context_label=str(context.get("label") or "")[:255],
            resource_link_id=str(link.get("id") or ""),
            resource_link_title=str(link.get("title") or "")[:255],
            custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
            lineitems_url=str(ags.get("lineitems") or ""),
            lineitem_url=str(ags.get("lineitem") or ""),
            ags_scopes=[str(scope) for scope in ags.get("scope") or []],
            memberships_url=str(nrps.get("context_memberships_url") or ""),
            deep_linking_settings=dict(body.get(f"{DL}deep_linking_settings") or {}),
        )

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data: dict) -> Launch:
        return cls(**data)
