#!/usr/bin/python3
# Bulk-loads generated users straight into a provisioned (stopped) Samba AD DC's sam.ldb through
# Samba's own module stack (so objectGUID, SIDs, replPropertyMetaData and USNs are real), in one
# transaction. Usage: samba-load.py SMB_CONF SAM_LDB JSONL
# Each JSONL line: {"dn": ..., "attrs": {name: [str]}, "binary": {name: [base64]}, "pwdLastSet"?: str}.
#
# Why "batch_mode:1": without it ldb runs every add inside its own sub-transaction, and the first
# touch of an index list in a sub-transaction deep-copies the whole list (one allocation per
# entry) so that the add could be rolled back alone. Lists every user is on (objectClass=user,
# objectCategory=person, the parent OU's one-level index, sAMAccountType, primaryGroupID, ...)
# grow with the load, so each add cost O(users) mallocs and the load was quadratic: measured
# 5.7 s of CPU for the first 1,000 users and 32 s for the sixth 1,000. Batch mode drops the
# per-operation rollback (any failure aborts the whole load, which is what we want anyway) and the
# copies with it: 2.5-3.5 ms of CPU per user, flat. FLG_NOSYNC: this is a disposable cache.
import base64
import json
import sys
import time

import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

# DSDB_CONTROL_PASSWORD_BYPASS_LAST_SET_OID (source4/dsdb/samdb/samdb.h); python does not export it.
BYPASS_LAST_SET = "local_oid:1.3.6.1.4.1.7165.4.3.20:0"

conf, sam, path = sys.argv[1], sys.argv[2], sys.argv[3]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=sam, session_info=system_session(), lp=lp, flags=ldb.FLG_NOSYNC, options=["batch_mode:1"])
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
            if "pwdLastSet" in entry:
                # An old pwdLastSet (for an expired password) is refused over LDAP and by the
                # password_hash module unless Samba's own bypass control is given.
                mod = ldb.Message(msg.dn)
                mod["pwdLastSet"] = ldb.MessageElement([entry["pwdLastSet"].encode()], ldb.FLAG_MOD_REPLACE, "pwdLastSet")
                db.modify(mod, controls=[BYPASS_LAST_SET])
            count += 1
            if count % 5000 == 0:
                print(json.dumps({"progress": count, "seconds": round(time.time() - start, 1)}), file=sys.stderr, flush=True)
    db.transaction_commit()
except Exception:
    db.transaction_cancel()
    raise
print(json.dumps({"added": count, "seconds": round(time.time() - start, 2)}))
