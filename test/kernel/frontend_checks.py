"""What a notebook frontend does with the kernel, driven by Debian's jupyter_client: comms
both ways, stdin, tslab's display API, traceback lines, and interrupts — after a figure was
shown (a browser runs in the kernel) and during training (the gate must not be recorded as a
pass). Prints one JSON object of findings on its last line; the vitest test judges them.
Needs GATEBOOK_TINY_CONFIG (a small LSTM config) and GATEBOOK_TEST_ARTIFACTS."""
import json
import sys
import os
import time

from jupyter_client.manager import start_new_kernel

name = os.environ.get("GATEBOOK_KERNEL_NAME", "gatebook-test")
config = os.environ["GATEBOOK_TINY_CONFIG"]
artifacts = os.environ["GATEBOOK_TEST_ARTIFACTS"]
km, kc = start_new_kernel(kernel_name=name, startup_timeout=60)
found = {}


def collect(msg_id, timeout=60, until_reply=True, on_message=None):
    """Outputs of one request until its idle status; the shell reply with them."""
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            outputs.append(msg) if msg["msg_type"].startswith("comm") else None
            continue
        if on_message:
            on_message(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.append(msg)
    reply = None
    if until_reply:
        reply = kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=timeout)
    return reply, outputs


def run(code, timeout=60, **kw):
    return collect(kc.execute(code, **kw), timeout)


def send_shell(msg_type, content):
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def iopub_until(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:
            continue
        if predicate(msg):
            return msg
    return None


def plain(outputs, kind="execute_result"):
    return [o["content"]["data"].get("text/plain") for o in outputs if o["msg_type"] == kind]


try:
    run("import * as gb from 'gatebook';")

    # 1. comms, kernel → frontend: the kernel opens one and answers what the frontend sends on it
    reply, outputs = run("const echo = gb.comms()!.open('gatebook.echo', { hello: 1 });\necho.onMessage((m) => echo.send({ got: m.data }));")
    opened = [o["content"] for o in outputs if o["msg_type"] == "comm_open"]
    found["kernel_open"] = [{"target": c["target_name"], "data": c["data"]} for c in opened]
    comm_id = opened[0]["comm_id"] if opened else ""
    send_shell("comm_msg", {"comm_id": comm_id, "data": {"n": 41}})
    answer = iopub_until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id)
    found["kernel_comm_answer"] = answer["content"]["data"] if answer else None

    # 2. comms, frontend → kernel: a target registered in the kernel; comm_info; close; an unknown target is closed
    run("gb.comms()!.registerTarget('gatebook.ping', (comm) => { comm.onMessage((m) => comm.send({ pong: Number(m.data.n) + 1 })); comm.onClose(() => console.log('ping closed')); });")
    send_shell("comm_open", {"comm_id": "frontend-ping-1", "target_name": "gatebook.ping", "data": {}})
    time.sleep(0.5)
    info_id = send_shell("comm_info_request", {"target_name": "gatebook.ping"})
    info = kc.get_shell_msg(timeout=10)
    while info["parent_header"].get("msg_id") != info_id:
        info = kc.get_shell_msg(timeout=10)
    found["comm_info"] = info["content"]["comms"]
    send_shell("comm_msg", {"comm_id": "frontend-ping-1", "data": {"n": 1}})
    pong = iopub_until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == "frontend-ping-1")
    found["frontend_comm_answer"] = pong["content"]["data"] if pong else None
    send_shell("comm_close", {"comm_id": "frontend-ping-1", "data": {}})
    time.sleep(0.5)
    info_id = send_shell("comm_info_request", {})
    info = kc.get_shell_msg(timeout=10)
    while info["parent_header"].get("msg_id") != info_id:
        info = kc.get_shell_msg(timeout=10)
    found["comm_info_after_close"] = sorted(v["target_name"] for v in info["content"]["comms"].values())
    send_shell("comm_open", {"comm_id": "nobody-home", "target_name": "no.such.target", "data": {}})
    closed = iopub_until(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == "nobody-home")
    found["unknown_target_closed"] = closed is not None

    # 3. stdin: a prompt answered by the frontend; with allow_stdin false a clear error, not a hang
    asked = {}
    msg_id = kc.execute("const answer = await gb.prompt('your name? ');\n`hello ${answer}`", allow_stdin=True)
    request = kc.get_stdin_msg(timeout=15)
    asked["prompt"] = request["content"]["prompt"]
    kc.input("Ada")
    reply, outputs = collect(msg_id)
    found["stdin"] = {"prompt": asked["prompt"], "result": plain(outputs)}
    started = time.time()
    reply, outputs = run("await gb.prompt('unanswerable? ')", allow_stdin=False, timeout=20)
    found["stdin_refused"] = {"status": reply["content"]["status"], "evalue": reply["content"].get("evalue", ""), "seconds": time.time() - started}

    # 4. tslab's display API, unchanged
    reply, outputs = run(
        "import * as tslab from 'tslab';\n"
        "tslab.display.html('<b>hi</b>');\n"
        "tslab.display.markdown('**md**');\n"
        "tslab.display.text('plain');\n"
        "tslab.display.svg('<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"></svg>');\n"
        "tslab.display.png(new Uint8Array([137, 80, 78, 71]));\n"
        "tslab.display.jpeg(new Uint8Array([255, 216, 255]));\n"
        "const d = tslab.newDisplay();\n"
        "d.text('first');\n"
        "d.text('second');"
    )
    shown = [o for o in outputs if o["msg_type"] in ("display_data", "update_display_data")]
    found["tslab"] = [{"type": o["msg_type"], "mimes": sorted(o["content"]["data"].keys()), "data": list(o["content"]["data"].values())[0], "display_id": bool(o["content"].get("transient", {}).get("display_id"))} for o in shown]
    found["tslab_status"] = reply["content"]["status"]

    # 4b. names from earlier cells in shorthand properties (tslab's converter left them unresolved)
    run("let shortA = 1;\nconst shortB = 'b';")
    found["shorthand"] = [plain(run(code)[1]) for code in ("({ shortA, shortB })", "function f() { return { shortA }; }\nf()", "({ shortA } = { shortA: 7 });\nshortA")]

    # 5. runtime errors on the cell's own lines: one, three and seven lines, and a frame in an earlier cell
    def error_of(code):
        reply, outputs = run(code)
        errors = [o["content"] for o in outputs if o["msg_type"] == "error"]
        return {"ename": reply["content"].get("ename"), "traceback": errors[0]["traceback"] if errors else []}

    found["tb1"] = error_of('throw new Error("boom")')
    found["tb3"] = error_of('const a: number = 1;\nconst b = a + 1;\nthrow new Error("three " + b)')
    reply, _ = run("function deep(x: number): number {\n  if (x > 2) {\n    throw new RangeError('deep ' + x);\n  }\n  return deep(x + 1);\n}")
    found["deep_cell"] = reply["content"]["execution_count"]
    found["tb7"] = error_of("const rows: number[] = [];\nfor (let i = 0; i < 3; i++) {\n  rows.push(i);\n}\n// a comment\nconst total = rows.reduce((s, r) => s + r, 0);\ndeep(total)")
    found["tb_library"] = error_of("gb.parseConfig({ split: { window: -3 } })")

    # 6. a figure as a cell's last expression, by gb.show, and by showFigure: the same bundle
    fig = "({ data: [{ type: 'scatter', y: [1, 3, 2] }], layout: { title: { text: 'three points' }, width: 300, height: 200 } })"
    bundles = {}
    for how, code in (("last expression", fig), ("gb.show", f"gb.show({fig})"), ("showFigure", f"await gb.showFigure({fig})")):
        reply, outputs = run(code, timeout=90)
        final = {}
        for o in outputs:
            if o["msg_type"] in ("display_data", "execute_result"):
                final = dict(o["content"]["data"])
            elif o["msg_type"] == "update_display_data":
                final.update(o["content"]["data"])
        bundles[how] = sorted(final.keys())
    found["figure_bundles"] = bundles

    # 7. interrupt after a figure (a browser is running in the kernel): the kernel stays
    msg_id = kc.execute("let n = 0; while (true) { await new Promise((r) => setTimeout(r, 50)); n++; }")
    time.sleep(1.0)
    km.interrupt_kernel()
    reply, outputs = collect(msg_id, timeout=30)
    time.sleep(3)
    found["after_figure_interrupt"] = {"status": reply["content"]["status"], "ename": reply["content"].get("ename"), "alive": km.is_alive()}
    reply, outputs = run("1 + 1")
    found["one_plus_one"] = plain(outputs)

    # 8. interrupt during training: the loop stops at its next batch, the gate is recorded as an error, never as a pass
    reply, outputs = run(f"const before = await gb.runGates('env', 'smoke', {{ config: {json.dumps(config)}, artifacts: {json.dumps(artifacts)} }});", timeout=180)
    found["gates_before_training"] = reply["content"]["status"]
    msg_id = kc.execute(f"await gb.runGates('baseline', 'baseline', {{ config: {json.dumps(config)}, artifacts: {json.dumps(artifacts)} }});")
    epoch = iopub_until(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream" and "epoch 1:" in m["content"]["text"], timeout=120)
    found["training_seen"] = epoch is not None
    interrupted_at = time.time()
    km.interrupt_kernel()
    reply, outputs = collect(msg_id, timeout=60)
    found["training_interrupt"] = {"status": reply["content"]["status"], "ename": reply["content"].get("ename"), "evalue": reply["content"].get("evalue", ""), "seconds": time.time() - interrupted_at}
    time.sleep(2)  # nothing may be appended after the cell ended
    with open(os.path.join(artifacts, "gates.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    found["baseline_records"] = [{"status": r.get("status"), "error": r.get("error")} for r in records if r.get("gate") == "baseline"]
    reply, outputs = run("1 + 1")
    found["one_plus_one_after_training"] = plain(outputs)
except Exception as e:  # the findings so far, and where it stopped
    import traceback
    found["failed"] = "".join(traceback.format_exception(e))[-3000:]
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)

print(json.dumps(found))
