"""SSDN requests as CPAS software writes them, and readers for the replies."""

from __future__ import annotations

from lxml import etree

NS = {
    "ssdn": "http://www.ksz-bcss.fgov.be/XSD/SSDN/Service",
    "c": "http://www.ksz-bcss.fgov.be/XSD/SSDN/Common",
    "p": "http://www.ksz-bcss.fgov.be/XSD/SSDN/Person",
    "ipr": "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/IdentifyPerson",
    "mar": "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess",
    "pi": "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/PerformInvestigation",
}
USER_ID = "85073003328"
EMAIL = "assistant@cpas-namur.be"
VERSIONS = {
    "OCMWCPASIdentifyPerson": "20050930",
    "OCMWCPASManageAccess": "20050930",
    "OCMWCPASPerformInvestigation": "20080604",
}


def ssdn_request(*services: tuple[str, str], org_unit: str | None = None,
                 reference: str = "REF-42") -> str:
    """An SSDNRequest with one ServiceRequest per (ServiceId, body XML)."""
    org = f"<OrgUnit>{org_unit}</OrgUnit>" if org_unit else ""
    requests = "".join(
        f"<ServiceRequest><ServiceId>{sid}</ServiceId>"
        f"<Version>{VERSIONS.get(sid, '20050930')}</Version>{body}</ServiceRequest>"
        for sid, body in services
    )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f'<SSDNRequest xmlns="{NS["ssdn"]}"><RequestContext><AuthorizedUser>'
        f"<UserID>{USER_ID}</UserID><Email>{EMAIL}</Email>{org}"
        "<MatrixID>17</MatrixID><MatrixSubID>1</MatrixSubID></AuthorizedUser>"
        f"<Message><Reference>{reference}</Reference><TimeRequest>20240102T101112</TimeRequest>"
        f"</Message></RequestContext>{requests}</SSDNRequest>"
    )


def identify(search: str, verification: str = "") -> tuple[str, str]:
    return "OCMWCPASIdentifyPerson", (
        f'<ipr:IdentifyPersonRequest xmlns:ipr="{NS["ipr"]}"><ipr:SearchCriteria>{search}'
        f"</ipr:SearchCriteria>{verification}</ipr:IdentifyPersonRequest>"
    )


def phonetic(last: str, birth: str, *extra: str) -> str:
    return (f"<ipr:PhoneticCriteria><ipr:LastName>{last}</ipr:LastName>"
            f"<ipr:BirthDate>{birth}</ipr:BirthDate>{''.join(extra)}</ipr:PhoneticCriteria>")


def manage_access(ssin: str, action: str, *, purpose: str | None = "2",
                  start: str = "2024-01-01", end: str | None = None,
                  register: str | None = None, proof: str | None = None,
                  sector: str | None = "17") -> tuple[str, str]:
    parts = [f"<mar:SSIN>{ssin}</mar:SSIN>"]
    if purpose is not None:
        parts.append(f"<mar:Purpose>{purpose}</mar:Purpose>")
    period = f"<c:StartDate>{start}</c:StartDate>"
    period += f"<c:EndDate>{end}</c:EndDate>" if end else ""
    parts += [f"<mar:Period>{period}</mar:Period>", f"<mar:Action>{action}</mar:Action>"]
    if sector is not None:
        parts.append(f"<mar:Sector>{sector}</mar:Sector>")
    if register:
        parts.append(f"<mar:QueryRegister>{register}</mar:QueryRegister>")
    parts.append(f"<mar:ProofOfAuthentication>{proof or ''}</mar:ProofOfAuthentication>")
    return "OCMWCPASManageAccess", (
        f'<mar:ManageAccessRequest xmlns:mar="{NS["mar"]}" xmlns:c="{NS["c"]}">'
        + "".join(parts) + "</mar:ManageAccessRequest>"
    )


def person_data(last: str, first: str | None, birth: str) -> str:
    first_xml = f"<mar:FirstName>{first}</mar:FirstName>" if first else ""
    return (f"<mar:PersonData><mar:LastName>{last}</mar:LastName>{first_xml}"
            f"<mar:BirthDate>{birth}</mar:BirthDate></mar:PersonData>")


def investigation(ssin: str, groups: str | None = None) -> tuple[str, str]:
    data_groups = f"<pi:DataGroups>{groups}</pi:DataGroups>" if groups is not None else ""
    return "OCMWCPASPerformInvestigation", (
        f'<pi:PerformInvestigationRequest xmlns:pi="{NS["pi"]}">'
        f"<pi:SocialSecurityUser>{ssin}</pi:SocialSecurityUser>{data_groups}"
        "</pi:PerformInvestigationRequest>"
    )


# --- reading replies -------------------------------------------------------------------------
def texts(element: etree._Element, path: str) -> list[str]:
    return [str(e.text) for e in element.iterfind(path, NS)]


def one(element: etree._Element, path: str) -> str:
    found = texts(element, path)
    assert len(found) == 1, (path, found)
    return found[0]


def context_code(reply: etree._Element) -> str:
    return one(reply, "ssdn:ReplyContext/c:ResultSummary/c:ReturnCode")


def service_replies(reply: etree._Element) -> list[etree._Element]:
    return list(reply.iterfind("ssdn:ServiceReply", NS))


def reasons(summary_owner: etree._Element) -> list[str]:
    return texts(summary_owner, "c:ResultSummary/c:Detail/c:ReasonCode")


def return_code(summary_owner: etree._Element) -> str:
    return one(summary_owner, "c:ResultSummary/c:ReturnCode")


def tickets(service_reply: etree._Element) -> list[str]:
    return texts(service_reply, "c:ResultSummary/c:Detail/c:Information/c:FieldValue")
