#!/usr/bin/env python3
"""The SRE console in a real browser (headless Chromium through Selenium), against a live `filestore dev`.

Run by Tests/ConsoleTests/ConsoleBrowserTests.swift, which prepares the database and starts the server:
signs in; sees a queue's depth change live (server-sent events, no reload); finds a discarded job by an args
value; retries it and watches it complete; dry-runs then replays a dead-letter group; pauses and resumes a
queue; a form posted without its CSRF token is refused; a read-only session cannot act. Saves a screenshot of
each page. Prints one line per step and exits non-zero on the first failure.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--admin-token", required=True)
    p.add_argument("--read-token", required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--screenshots", required=True)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = p.parse_args()
    os.makedirs(a.screenshots, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = a.chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,950"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=a.chromedriver), options=options)
    driver.set_page_load_timeout(30)
    steps = Steps(driver, a)
    try:
        steps.run()
    except Exception as e:  # one line that says where, then the page for the log
        print(f"FAILED: {e}", flush=True)
        try:
            print("page:", driver.current_url, driver.page_source[:3000], flush=True)
            print("console:", driver.get_log("browser"), flush=True)
        except Exception:
            pass
        sys.exit(1)
    finally:
        driver.quit()
    print(f"console browser test: all {steps.passed} steps passed", flush=True)


class Steps:
    def __init__(self, driver, a):
        self.d = driver
        self.a = a
        self.passed = 0

    def ok(self, what):
        self.passed += 1
        print(f"ok {self.passed} - {what}", flush=True)

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.a.screenshots, name + ".png"))

    def go(self, path):
        self.d.get(self.a.base + path)

    def wait(self, what, cond, timeout=30):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                v = cond()
                if v:
                    return v
            except Exception as e:  # the element may be replaced while the page changes
                last = e
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what} (last error: {last})")

    def sql(self, statement):
        out = subprocess.run(["psql", self.a.database_url, "-qAtc", statement], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def api(self, path, token):
        req = urllib.request.Request(self.a.base + path, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def text(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css).text

    def sign_in(self, token):
        self.go("/admin/login")
        self.d.find_element(By.ID, "token").send_keys(token)
        self.d.find_element(By.ID, "sign-in").click()
        self.wait("the overview after sign-in", lambda: self.d.find_elements(By.ID, "queues"))

    def run(self):
        a = self.a
        # Sign in.
        self.go("/admin/login")
        self.shot("login")
        self.sign_in(a.admin_token)
        assert "sre-admin@ops" in self.d.page_source, "the header names who signed in"
        cookie = self.d.get_cookie("fs_console")
        assert cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", f"session cookie {cookie}"
        self.ok("signed in with a jobs:admin token; HttpOnly SameSite=Strict session cookie")

        # A queue's depth changes live, without a reload.
        self.wait("the live stream connected", lambda: self.text("#live-state") == "connected")
        cell = 'td[data-q="browser-idle"][data-s="available"]'
        before = int(self.text(cell))
        marker = self.d.execute_script("return window.performance.timeOrigin")
        self.sql("INSERT INTO jobkit.jobs (kind, queue, args) SELECT 'noop', 'browser-idle', '{}' FROM generate_series(1, 3)")
        self.wait("the depth to grow by 3 on the open page", lambda: int(self.text(cell)) == before + 3, timeout=15)
        assert self.d.execute_script("return window.performance.timeOrigin") == marker, "the page was not reloaded"
        self.shot("overview")
        self.ok(f"queue browser-idle depth went {before} -> {before + 3} live (server-sent events)")

        # Find a discarded job by an args value.
        self.go("/admin/jobs")
        self.d.execute_script("document.querySelector('select[name=state]').value = 'discarded'")
        self.d.find_element(By.ID, "args").send_keys('{"order": "ord-7731"}')
        self.d.find_element(By.ID, "find").click()
        # The results page, not the unfiltered one it replaces (under load the old page is still there a while).
        self.wait("the search page", lambda: "args=" in self.d.current_url and "state=discarded" in self.d.current_url)
        rows = self.wait("search results", lambda: self.d.find_elements(By.CSS_SELECTOR, "#results tr[data-job]"))
        assert len(rows) == 1, f"{len(rows)} rows for the order"
        job_id = rows[0].get_attribute("data-job")
        self.shot("jobs")
        self.ok(f"found discarded job {job_id} by args {{\"order\": \"ord-7731\"}}")

        # Retry it and watch it complete.
        rows[0].find_element(By.CSS_SELECTOR, "a").click()
        self.wait("the job page", lambda: self.text("#job-state") == "discarded")
        self.shot("job")
        self.d.find_element(By.ID, "action-retry").click()
        self.wait("the notice", lambda: "retry" in self.text("#notice"))

        def completed():
            self.d.refresh()
            return self.text("#job-state") == "completed"
        self.wait("the retried job to complete", completed, timeout=30)
        self.ok(f"retried job {job_id}; a worker completed it")

        # Dry-run, then replay, a dead-letter group.
        self.go("/admin/dlq")
        self.shot("dlq")
        row = self.wait("the smtp group", lambda: [r for r in self.d.find_elements(By.CSS_SELECTOR, "#dlq tbody tr") if "smtp timeout" in r.text])[0]
        assert row.find_element(By.CSS_SELECTOR, ".count").text == "3"
        row.find_element(By.CSS_SELECTOR, "button.dlq-dry-run").click()
        matched = self.wait("the dry run", lambda: self.text("#matched"))
        assert matched == "3", f"dry run counted {matched}"
        assert self.sql("SELECT count(*) FROM jobkit.jobs WHERE state = 'discarded' AND errors -> -1 ->> 'error' = 'smtp timeout'") == "3", "a dry run changes nothing"
        self.shot("dlq-dry-run")
        self.d.find_element(By.ID, "run").click()
        self.wait("the audit page", lambda: self.d.find_elements(By.ID, "audit"))

        def replayed():
            self.d.refresh()
            first = self.d.find_element(By.CSS_SELECTOR, "#audit tbody tr")
            return "dlq_replay" in first.text and first.find_element(By.CSS_SELECTOR, ".status").text == "done"
        self.wait("the replay to finish", replayed)
        self.wait("the replayed jobs to complete", lambda: self.sql(
            "SELECT count(*) FROM jobkit.jobs WHERE kind = 'noop' AND args ? 'mail' AND state = 'completed'") == "3")
        self.shot("audit")
        self.ok("dry run counted 3 dead letters and changed nothing; the replay ran them to completion; audited")

        # Pause and resume a queue.
        self.go("/admin")
        self.d.find_element(By.ID, "pause-browser-idle").click()
        self.wait("paused", lambda: self.d.find_elements(By.ID, "resume-browser-idle"))
        assert self.sql("SELECT paused FROM jobkit.queues WHERE name = 'browser-idle'") == "t"
        self.d.find_element(By.ID, "resume-browser-idle").click()
        self.wait("resumed", lambda: self.d.find_elements(By.ID, "pause-browser-idle"))
        assert self.sql("SELECT paused FROM jobkit.queues WHERE name = 'browser-idle'") == "f"
        self.ok("paused and resumed queue browser-idle")

        # A form posted without its CSRF token is refused.
        self.d.execute_script("document.querySelector('form[action=\"/admin/queues/browser-idle/pause\"] input[name=csrf]').remove()")
        self.d.find_element(By.ID, "pause-browser-idle").click()
        self.wait("the refusal", lambda: "MELMASTOON.FILE.FORBIDDEN" in self.d.page_source)
        assert "CSRF" in self.d.page_source
        assert self.sql("SELECT paused FROM jobkit.queues WHERE name = 'browser-idle'") == "f", "nothing changed"
        self.ok("a form without its CSRF token was refused (403 FORBIDDEN) and changed nothing")

        # Schedules page.
        self.go("/admin/schedules")
        assert "console.demo" in self.d.page_source
        self.shot("schedules")
        self.ok("schedules page lists the schedule")

        # Webhooks of a tenant: the failing endpoint and its dead deliveries.
        self.go("/admin/webhooks?tenant=acme")
        assert "hooks.acme.example" in self.d.page_source and "HTTP 503 from the endpoint" in self.d.page_source
        assert "whsec_browser" not in self.d.page_source, "secrets are never shown"
        assert len(self.d.find_elements(By.CSS_SELECTOR, "#dead tbody tr")) == 2
        self.shot("webhooks")
        self.ok("webhooks page shows the tenant's failing endpoint, its attempts and dead deliveries, no secret")

        # A read-only session cannot act.
        self.go("/admin")
        self.d.find_element(By.CSS_SELECTOR, "form[action='/admin/logout'] button").click()
        self.wait("signed out", lambda: self.d.find_elements(By.ID, "token"))
        self.sign_in(a.read_token)
        assert self.d.find_elements(By.ID, "read-only"), "the read-only badge"
        assert not self.d.find_elements(By.ID, "pause-browser-idle"), "no controls"
        self.shot("read-only")
        other = self.sql("SELECT id FROM jobkit.jobs WHERE state = 'discarded' ORDER BY id LIMIT 1")
        self.go(f"/admin/jobs/{other}")
        assert not self.d.find_elements(By.ID, "action-retry"), "no action buttons on the job page"
        # Post the retry form anyway, with the session's own CSRF token (from the sign-out form).
        self.d.execute_script("""
            var csrf = document.querySelector("form[action='/admin/logout'] input[name=csrf]").value;
            var f = document.createElement('form'); f.method = 'post'; f.action = '/admin/jobs/' + arguments[0] + '/retry';
            var i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf'; i.value = csrf; f.appendChild(i);
            document.body.appendChild(f); f.submit();""", other)
        self.wait("the refusal", lambda: "read-only" in self.d.page_source and "MELMASTOON.FILE.FORBIDDEN" in self.d.page_source)
        assert self.sql(f"SELECT state FROM jobkit.jobs WHERE id = {other}") == "discarded", "the job was not retried"
        self.ok("a read-only session sees no controls, and a forged action with its CSRF token is refused")


if __name__ == "__main__":
    main()
