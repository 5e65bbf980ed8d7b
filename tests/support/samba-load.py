#!/usr/bin/python3
# Bulk-loads generated users straight into a provisioned (stopped) Samba AD DC's sam.ldb through
# Samba's own module stack (so objectGUID, SIDs, replPropertyMetaData and USNs are real), in one
# transaction. About 2.5x faster than adds over LDAP. Usage: samba-load.py SMB_CONF SAM_LDB JSONL
# Each JSONL line: {"dn": ..., "attrs": {name: [str]}, "binary": {name: [base64]}}.
import base64
import json
import sys
import time

import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

conf, sam, path = sys.argv[1], sys.argv[2], sys.argv[3]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=sam, session_info=system_session(), lp=lp)
start = time.time()
count = 0
db.transaction_start()
try:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            msg = ldb.Message(ldb.Dn(db, entry["dn"]))
            for name, values in entry.get("attrs", {}).items():
                msg[name] = ldb.MessageElement([v.encode("utf-8") for v in values], ldb.FLAG_MOD_ADD, name)
            for name, values in entry.get("binary", {}).items():
                msg[name] = ldb.MessageElement([base64.b64decode(v) for v in values], ldb.FLAG_MOD_ADD, name)
            db.add(msg)
            count += 1
    db.transaction_commit()
except Exception:
    db.transaction_cancel()
    raise
print(json.dumps({"added": count, "seconds": round(time.time() - start, 2)}))
