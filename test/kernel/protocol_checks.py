"""Protocol checks jupyter_kernel_test does not make, with Debian's jupyter_client:
interrupting an awaiting loop, a message with a wrong HMAC, the error traceback's cell line,
and shutdown. Prints one JSON object of findings on its last line; the vitest test judges them."""
import json
import os
import sys
import tempfile
import time

from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

name = os.environ.get("GATEBOOK_KERNEL_NAME", "gatebook-test")
km, kc = start_new_kernel(kernel_name=name, startup_timeout=60)
found = {}


def reply_to(msg_id, timeout):
    """The shell reply to one request (others, such as a second kernel_info_reply, are passed over)."""
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply


def run(code, timeout=30):
    msg_id = kc.execute(code)
    reply = reply_to(msg_id, timeout)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.append(msg)
    return reply, outputs


try:
    # 1. interrupt a cell that awaits in a loop
    msg_id = kc.execute("let n = 0; while (true) { await new Promise((r) => setTimeout(r, 50)); n++; }")
    time.sleep(1.0)
    started = time.time()
    km.interrupt_kernel()
    reply = reply_to(msg_id, 10)
    found["interrupt_seconds"] = time.time() - started
    found["interrupt_reply"] = {k: reply["content"].get(k) for k in ("status", "ename", "evalue")}
    time.sleep(0.3)
    reply, outputs = run("'next cell ran'")
    found["after_interrupt"] = [o["content"]["data"]["text/plain"] for o in outputs if o["msg_type"] == "execute_result"]

    # 1b. interrupt a cell that computes synchronously (it never yields to the event loop)
    msg_id = kc.execute("let spins = 0; while (true) { spins++; }")
    time.sleep(1.0)
    km.interrupt_kernel()
    reply = reply_to(msg_id, 10)
    found["sync_interrupt_reply"] = {k: reply["content"].get(k) for k in ("status", "ename", "evalue")}
    reply, outputs = run("'next cell ran'")
    found["after_sync_interrupt"] = [o["content"]["data"]["text/plain"] for o in outputs if o["msg_type"] == "execute_result"]

    # 1c. the execution counter counts cells that store history: not silent ones, not store_history=False ones
    counts = []
    for kw in ({}, {"silent": True}, {"store_history": False}, {}):
        counts.append(reply_to(kc.execute("1", **kw), 10)["content"]["execution_count"])
    found["execution_counts"] = [c - counts[0] for c in counts]

    # 1d. user_expressions are evaluated after a cell that succeeded, each alone; none after a failed cell
    def expressions(reply):
        return {k: {"status": v["status"], **({"text": v["data"]["text/plain"]} if v["status"] == "ok" else {"ename": v["ename"]})}
                for k, v in reply["content"].get("user_expressions", {}).items()}
    asked = {"product": "ue * 7", "missing": "notDefinedAnywhere + 1", "text": "`ue is ${ue}`"}
    found["user_expressions"] = expressions(reply_to(kc.execute("let ue = 6;", user_expressions=asked), 10))
    found["user_expressions_after_error"] = expressions(reply_to(kc.execute("throw new Error('no');", user_expressions=asked), 10))

    # 2. a message signed with the wrong key is dropped, never executed
    marker = os.path.join(tempfile.mkdtemp(), "executed")
    forged = Session(key=b"not-the-key", username="attacker")
    code = f"require('fs').writeFileSync({json.dumps(marker)}, 'x')"
    forged.send(kc.shell_channel.socket, forged.msg("execute_request", {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}))
    time.sleep(1.5)
    found["forged_executed"] = os.path.exists(marker)
    run(code)
    found["signed_executed"] = os.path.exists(marker)

    # 3. errors carry ename, evalue and a traceback with the cell line
    reply, outputs = run("const ok = 1;\nfunction boom() {\n  throw new TypeError('broken on purpose');\n}\nboom();")
    errors = [o["content"] for o in outputs if o["msg_type"] == "error"]
    found["runtime_error"] = {"reply": {k: reply["content"].get(k) for k in ("status", "ename", "evalue")}, "iopub": errors}
    reply, outputs = run("const s: string = 42;")
    found["compile_error"] = {k: reply["content"].get(k) for k in ("status", "ename", "evalue", "traceback")}

    # 4. a rich execute_result for a polars DataFrame
    reply, outputs = run("import pl from 'nodejs-polars'; pl.DataFrame({ a: [1, 2], b: ['x', 'y'] })")
    found["frame_mimes"] = sorted(next(o["content"]["data"] for o in outputs if o["msg_type"] == "execute_result").keys())
finally:
    kc.stop_channels()
    process = km.provisioner.process  # the kernel's Popen; the provisioner lets go of it at shutdown
    km.shutdown_kernel(now=False)
    found["alive_after_shutdown"] = km.is_alive()
    found["exit_status"] = process.poll()  # 0, not -6 (SIGABRT) or a kill after shutdown_wait_time

print(json.dumps(found))
