"""Candidates' journeys in Chromium through nginx while nodes come and go and the database restarts: every
request of a journey may land on either node, a drained node finishes what it holds, a killed node's request is
sent again by the client and served by the other, and nothing is lost or done twice."""
from __future__ import annotations

import re
import signal
import threading
import time

import httpx

from tests.deploy import journey
from tests.deploy.harness import pid_owning_port, port_open, register, wait_until
from tests.browser.flows import new_id

LOCK_APPLICATION = "SELECT id FROM application WHERE id = $1 FOR UPDATE"


def assert_paid_once(deploy, app_id: int) -> None:
    """What is stored: the application paid, by one paid order of one paid trade; submitted once, paid once; its
    photo on the shared disk. And over the whole database: no application paid twice, every site's count exact."""
    sql = deploy.sql
    app = sql.rows("SELECT status, photo, paid_at FROM application WHERE id = $1", app_id)[0]
    assert app["status"] == "paid" and app["paid_at"] is not None
    orders = sql.rows("SELECT number, status FROM payment_order WHERE application_id = $1", app_id)
    assert [o["status"] for o in orders].count("paid") == 1, orders
    number = next(o["number"] for o in orders if o["status"] == "paid")
    assert sql.value("SELECT count(*) FROM sandbox_payment WHERE out_trade_no = $1 AND status = 'paid'", number) == 1
    log = [r["action"] for r in sql.rows("SELECT action FROM review_log WHERE application_id = $1 ORDER BY id", app_id)]
    assert log.count("submit") == 1 and log.count("paid") == 1, log
    assert (deploy.upload_dir / app["photo"]).is_file(), app["photo"]
    assert sql.rows("SELECT application_id FROM payment_order WHERE status = 'paid' "
                    "GROUP BY application_id HAVING count(*) > 1") == []
    assert sql.rows("SELECT s.id, s.taken, count(a.id) AS holding FROM site s LEFT JOIN application a "
                    "ON a.site_id = s.id AND a.status IN ('submitted', 'approved', 'rejected', 'paid') "
                    "GROUP BY s.id, s.taken HAVING s.taken <> count(a.id)") == []


def error_blocks(log: str) -> list[str]:
    """The ERROR records of a node's log, each with its traceback (asyncpg's pool logs its reconnection attempts
    as WARNINGs with a traceback: not errors of ours)."""
    blocks, current = [], None
    for line in log.splitlines():
        if " ERROR " in line or line.startswith("ERROR:"):
            current = [line]
            blocks.append(current)
        elif current is not None and (line.startswith((" ", "Traceback")) or re.match(r"^[\w.]+(Error|Exception)", line)):
            current.append(line)
        else:
            current = None
    return ["\n".join(b[:1] + b[-1:]) for b in blocks]  # the record and the exception it ended with


def nodes_of(seen) -> list[str]:
    return [s.node for s in seen if s.node]


def blocked_node(deploy, lock, what: str):
    """The node whose request waits for our lock (the database knows the connection, `ss` its process)."""
    waiting = wait_until(lock.waiting_backends, 10, what)
    node = deploy.node_of_pid(pid_owning_port(waiting[0]["client_port"]))
    assert node is not None, f"no node owns the database connection of {waiting}"
    return node


def test_a_journey_through_nginx_goes_to_both_nodes_and_files_are_sent_by_nginx(page, deploy):
    app_id, number = journey.whole(page, 1, "钱塘江")

    # Consecutive requests of one candidate land on both nodes (round robin), the session and the draft
    # following them through the database.
    nodes = nodes_of(page.seen)
    switches = sum(x != y for x, y in zip(nodes, nodes[1:]))
    assert set(nodes) == {"a", "b"} and switches >= len(nodes) // 3, nodes
    assert not [s for s in page.seen if s.status >= 500], [(s.method, s.path, s.status) for s in page.seen]

    # The photo the pages showed: authorised by a node, sent by nginx from the shared UPLOAD_DIR.
    files = [s for s in page.seen if s.path.startswith("/files/")]
    assert files and all(s.status == 200 and s.node in ("a", "b") for s in files), files
    path = files[0].path
    name = path.removeprefix("/files/")
    on_disk = (deploy.upload_dir / name).read_bytes()
    through_nginx = page.request.get(path)  # the candidate's cookies
    assert through_nginx.status == 200 and through_nginx.body() == on_disk
    assert through_nginx.headers["content-type"] == "image/jpeg"
    assert through_nginx.headers["x-content-type-options"] == "nosniff"
    assert through_nginx.headers["cache-control"] == "private, no-store"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for node in deploy.nodes.values():  # what a node itself answers: no body, only where nginx finds the file
        direct = httpx.get(node.url + path, cookies=cookies)
        assert direct.status_code == 200 and direct.content == b"", (node.name, direct.status_code)
        assert direct.headers["x-accel-redirect"] == "/_protected/" + name
    lines = [line for line in deploy.nginx.log_lines() if f'"GET {path} ' in line]
    assert lines and all(" upl=0 " in line and f" 200 {len(on_disk)} " in line for line in lines), lines
    # Nobody reaches the internal location, or the file without the session.
    assert httpx.get(deploy.url + "/_protected/" + name).status_code == 404
    assert httpx.get(deploy.url + path).status_code == 404

    assert_paid_once(deploy, app_id)


def test_b_a_node_drained_by_sigterm_finishes_the_submission_it_holds_and_the_journey_goes_on(page, deploy):
    journey.account_and_profile(page, 2, "王西湖")
    app_id = journey.to_confirm(page, "c2@example.com")
    # 提交 is held in the database (we lock the application row), so the node is draining with it in flight.
    lock = deploy.sql.hold(LOCK_APPLICATION, app_id)
    try:
        journey.click_submit(page)
        drained = blocked_node(deploy, lock, "提交 to wait for the application's row")
        drained.signal(signal.SIGTERM)
        wait_until(lambda: not port_open(drained.port), 10, f"node {drained.name} to stop accepting")
        assert drained.running(), "the node quit with a request in flight"
    finally:
        lock.release()
    journey.submitted(page)  # answered by the draining node
    assert [s.node for s in page.seen if s.method == "POST" and s.path.endswith("/confirm")] == [drained.name]
    # Done, it exits by itself: uvicorn re-raises the SIGTERM it caught once it has shut down, so the status is
    # "ended by SIGTERM" (what systemd counts as a clean stop), or 0.
    assert drained.wait(25) in (0, -signal.SIGTERM), drained.log_tail()
    assert "Application shutdown complete" in drained.log_text()
    assert "Traceback" not in drained.log_text(), drained.log_tail()

    mark = len(page.seen)
    number = journey.to_gateway(page)
    journey.click_confirm_payment(page)
    journey.paid(page, number)
    journey.print_form(page, "王西湖", number)
    other = next(n for n in deploy.nodes if n != drained.name)
    assert set(nodes_of(page.seen[mark:])) == {other}
    assert not [s for s in page.seen if s.status >= 500], [(s.path, s.status) for s in page.seen if s.status >= 500]
    assert_paid_once(deploy, app_id)


def test_c_a_node_killed_during_submission_or_notification_leaves_the_retry_to_the_other(page, deploy):
    journey.account_and_profile(page, 3, "沈钱江")
    app_id = journey.to_confirm(page, "c3@example.com")
    confirm = f"/apply/{app_id}/confirm"

    # 提交 in flight on a node (held at the application's row), then the node killed.
    lock = deploy.sql.hold(LOCK_APPLICATION, app_id)
    try:
        journey.click_submit(page)
        victim = blocked_node(deploy, lock, "提交 to wait for the application's row")
        victim.signal(signal.SIGKILL)
        victim.wait(5)
    finally:
        lock.release()
    # nginx does not send a POST that reached a node to another one: the candidate sees nginx's own page.
    page.wait_for_selector("text=服务暂时不可用")
    assert "Traceback" not in page.content()
    killed = [s for s in page.seen if s.method == "POST" and s.path == confirm]
    assert [s.status for s in killed] == [502] and killed[0].node is None
    # The candidate goes back and presses 提交 again: the other node takes it, once.
    page.goto(confirm)
    journey.submit(page)
    assert [s.node for s in page.seen if s.method == "POST" and s.path == confirm][-1] != victim.name
    assert deploy.sql.value("SELECT count(*) FROM review_log WHERE application_id = $1 AND action = 'submit'",
                            app_id) == 1

    # The payment notification in flight on a node, then that node killed: the gateway sends it again.
    deploy.ensure_up()
    number = journey.to_gateway(page)
    lock = deploy.sql.hold(LOCK_APPLICATION, app_id)
    try:
        gateway = deploy.next_node()  # 确认支付 goes to this node; its notification, through nginx, to the other
        journey.click_confirm_payment(page)
        victim = blocked_node(deploy, lock, "the payment notification to wait for the application's row")
        assert victim.name != gateway, "the notification was not sent to the other node"
        victim.signal(signal.SIGKILL)
        victim.wait(5)
    finally:
        lock.release()
    journey.paid(page, number)
    attempts = deploy.sql.value("SELECT notify_attempts FROM sandbox_payment WHERE out_trade_no = $1 "
                                "AND status = 'paid'", number)
    assert attempts >= 2  # the first went down with the node
    outcomes = [r["outcome"] for r in deploy.sql.rows(
        "SELECT outcome FROM payment_notification WHERE order_number = $1", number)]
    assert outcomes.count("paid") == 1, outcomes
    journey.print_form(page, "沈钱江", number)
    assert_paid_once(deploy, app_id)


def test_d_a_database_restart_under_load_answers_busy_and_the_nodes_recover(page, deploy):
    log_marks = {n.name: len(n.log_text()) for n in deploy.nodes.values()}
    nginx_mark = len(deploy.nginx.log_lines())
    candidate = httpx.Client(base_url=deploy.url, timeout=10)
    assert register(candidate, new_id(4), "13600000004").status_code == 303
    answers: list[tuple[float, str, int, str, dict]] = []
    stop = threading.Event()

    SERVED = (200, 303)  # /exams sends a candidate without 实名认证 on to it

    def load():  # a candidate's pages: each reads the session (and more) from the database
        with httpx.Client(base_url=deploy.url, cookies=candidate.cookies, timeout=10) as c:
            while not stop.is_set():
                for path in ("/", "/exams", "/account"):
                    try:
                        r = c.get(path)
                    except httpx.HTTPError as e:  # nginx answers even when no node does: this is a failure
                        answers.append((time.monotonic(), path, -1, repr(e), {}))
                        continue
                    answers.append((time.monotonic(), path, r.status_code, r.text if r.status_code not in SERVED else "",
                                    dict(r.headers)))
                    time.sleep(0.02)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        deploy.cluster.stop("fast")  # pg_ctl restart, with a pause between stop and start
        down = {n.name: httpx.get(n.url + "/readyz", timeout=10).status_code for n in deploy.nodes.values()}
        time.sleep(1.0)
        deploy.cluster.start()
        back = time.monotonic()
        # Recovered by themselves: every node answers a page again within a few seconds.
        def recovered():
            window = [a for a in answers if a[0] > time.monotonic() - 1.0]
            return len(window) > 10 and all(a[2] in SERVED for a in window)
        try:
            wait_until(recovered, 10, "the nodes to answer pages again after the restart", interval=0.2)
        except AssertionError as e:
            last = [(a[1], a[2], a[4].get("x-node"), a[3][:200]) for a in answers[-8:]]
            raise AssertionError(f"{e}; the last answers: {last}; node logs:\n" + "\n".join(
                n.log_text()[log_marks[n.name]:][-4000:] for n in deploy.nodes.values())) from None
        recovery = time.monotonic() - back
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    logs = {n.name: n.log_text()[log_marks[n.name]:] for n in deploy.nodes.values()}
    errors = {name: error_blocks(text) for name, text in logs.items() if error_blocks(text)}
    statuses = {a[2] for a in answers}
    busy = [a for a in answers if a[2] == 503]
    assert statuses <= {*SERVED, 503}, (f"answers {sorted(statuses)} (served or 系统繁忙 expected); the bodies: "
                                        f"{[a[3][:200] for a in answers if a[2] not in (*SERVED, 503)][:2]}; "
                                        f"the nodes logged: {errors}")
    assert busy, "no request met the restart"
    assert all("系统繁忙" in a[3] and a[4].get("retry-after") for a in busy), busy[0][3][:500]
    assert not any("Traceback" in a[3] for a in answers)
    assert errors == {}, errors
    assert down == {"a": 503, "b": 503}
    assert all(httpx.get(n.url + "/readyz", timeout=5).status_code == 200 for n in deploy.nodes.values())
    # A 503 is a node's deliberate answer: nginx sent none of them on to the other node.
    retried = [line for line in deploy.nginx.log_lines()[nginx_mark:] if "ups=503," in line or ", 503" in line]
    assert retried == [], retried[:3]
    assert recovery < 10

    app_id, _ = journey.whole(page, 5, "孙钱塘")  # and a whole journey succeeds after
    assert_paid_once(deploy, app_id)
