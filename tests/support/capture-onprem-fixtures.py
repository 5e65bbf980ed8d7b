#!/usr/bin/python3
# Captures real binary values from a provisioned Samba AD DC (a copy of the harness's golden
# directory) together with Samba's OWN decoding of them (NDR), so the unit tests check our
# decoders against an independent implementation. Usage: capture-onprem-fixtures.py DCDIR OUT.json
# DCDIR is modified (mobile written twice): pass a scratch copy.
import base64, json, sys
import ldb
from samba.auth import system_session
from samba.dcerpc import drsblobs, misc, security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

dcdir, out = sys.argv[1], sys.argv[2]
lp = LoadParm(); lp.load(dcdir + "/etc/smb.conf")
db = SamDB(url=dcdir + "/private/sam.ldb", session_info=system_session(), lp=lp)
base = db.domain_dn()
def one(sam):
    r = db.search(base=base, scope=ldb.SCOPE_SUBTREE, expression="(sAMAccountName=%s)" % sam,
                  attrs=["objectGUID", "objectSid", "mS-DS-ConsistencyGuid", "replPropertyMetaData", "whenChanged", "mobile"])
    return r[0]
# Two more writes of mobile so its metadata version is above 1.
m = one("star.man")
for v in ["+44 20 7946 0001", "+44 20 7946 0002"]:
    msg = ldb.Message(m.dn); msg["mobile"] = ldb.MessageElement(v, ldb.FLAG_MOD_REPLACE, "mobile"); db.modify(msg)
samples = []
for sam in ["star.man", "casey.anchor", "zoe.obrien", "Administrator"]:
    e = one(sam)
    guid = bytes(e["objectGUID"][0]); sid = bytes(e["objectSid"][0]); meta = bytes(e["replPropertyMetaData"][0])
    blob = ndr_unpack(drsblobs.replPropertyMetaDataBlob, meta)
    entries = [{"attid": x.attid, "version": x.version, "originatingChangeTimeSeconds": x.originating_change_time // 10**7,  # NDR shows NTTIME_1sec in 100 ns units
                "originatingInvocationId": str(x.originating_invocation_id), "originatingUsn": x.originating_usn,
                "localUsn": x.local_usn} for x in blob.ctr.array]
    cg = e.get("mS-DS-ConsistencyGuid")
    samples.append({
        "sAMAccountName": sam, "dn": str(e.dn),
        "objectGUID": base64.b64encode(guid).decode(), "objectGUIDText": str(ndr_unpack(misc.GUID, guid)),
        "objectSid": base64.b64encode(sid).decode(), "objectSidText": str(ndr_unpack(security.dom_sid, sid)),
        "consistencyGuid": base64.b64encode(bytes(cg[0])).decode() if cg else None,
        "mobile": str(e["mobile"][0]) if e.get("mobile") else None,
        "whenChanged": str(e["whenChanged"][0]),
        "replPropertyMetaData": base64.b64encode(meta).decode(),
        "sambaDecoded": {"version": blob.version, "count": blob.ctr.count, "entries": entries},
    })
json.dump({"capturedFrom": "Samba " + lp.get("server string") if lp.get("server string") else "Samba 4.17 (harness golden copy)",
           "mobileAttid": db.get_attid_from_lDAPDisplayName("mobile"), "samples": samples}, open(out, "w"), indent=1)
print("wrote", out, len(samples))
