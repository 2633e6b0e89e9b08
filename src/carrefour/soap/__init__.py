"""The CBSS wire formats: the SSDN connector (``sendXML``) with the OCMW/CPAS services
IdentifyPerson, ManageAccess and PerformInvestigation, and RetrieveTIGroups v2 (Tx25).

Every operation goes through the hub's use cases (consultations, integrations), so SOAP
clients get the same checks, journal and tickets as REST clients; see
``docs/cbss-compatibility.md``.
"""
