#!/usr/bin/env python3
"""browser.py - drives headless Chromium over the DevTools protocol on a
pipe (--remote-debugging-pipe: commands on fd 3, answers on fd 4, JSON
messages ended by NUL), with the standard library only.

usage: browser.py [--spki=HASH] URL NAME TEXT [BREAK_COMMAND]
Loads URL, posts NAME/TEXT through the guestbook form, waits until the
message is listed, reloads, checks it is still listed; then runs
BREAK_COMMAND and checks the page shows a readable error. Prints one line
per step; exit 0 when all passed.

An https URL is for a server whose certificate no CA of the system
vouches for: --spki=HASH (base64 of the SHA-256 of the certificate's
SubjectPublicKeyInfo) trusts that one key, for this browser only
(--ignore-certificate-errors-spki-list, honoured with --user-data-dir;
every other certificate error still stops the page). A first browser
without it must refuse the page (the certificate check is real), and the
page must have been loaded over https.
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Chrome:
    def __init__(self, spki=None):
        self.prof = tempfile.mkdtemp(prefix="appd-chrome.")
        to_chrome_r, self.w = os.pipe()
        self.r, from_chrome_w = os.pipe()
        # the child must see the pipes as fds 3 and 4: move them above
        # 4 first so that the dup2 calls cannot clobber each other
        low = (to_chrome_r, from_chrome_w)
        to_chrome_r = fcntl.fcntl(low[0], fcntl.F_DUPFD, 10)
        from_chrome_w = fcntl.fcntl(low[1], fcntl.F_DUPFD, 10)
        for fd in low:
            os.close(fd)

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        trust = ["--ignore-certificate-errors-spki-list=" + spki] if spki \
            else []
        self.p = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-extensions",
             "--remote-debugging-pipe", "--user-data-dir=" + self.prof]
            + trust + ["about:blank"],
            preexec_fn=fds, pass_fds=(3, 4),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.n = 0
        self.session = None

    def send(self, method, params=None, session=True):
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        want = self.n
        deadline = time.time() + 30
        while time.time() < deadline:
            while b"\0" not in self.buf:
                chunk = os.read(self.r, 65536)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            m = json.loads(raw)
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
        raise RuntimeError("no answer to " + method)

    def open_page(self):
        """A new tab, attached; Page and Runtime events on."""
        t = self.send("Target.createTarget", {"url": "about:blank"},
                      session=False)
        a = self.send("Target.attachToTarget",
                      {"targetId": t["targetId"], "flatten": True},
                      session=False)
        self.session = a["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def eval(self, expr):
        r = self.send("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True,
                       "awaitPromise": True})
        return r.get("result", {}).get("value")

    def wait_for(self, expr, secs=15):
        end = time.time() + secs
        while time.time() < end:
            if self.eval(expr):
                return True
            time.sleep(0.1)
        return False

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        shutil.rmtree(self.prof, ignore_errors=True)


def main():
    args = sys.argv[1:]
    spki = None
    if args and args[0].startswith("--spki="):
        spki = args.pop(0)[len("--spki="):]
    url, name, text = args[0:3]
    ok = True

    def step(what, good):
        nonlocal ok
        print(("ok   " if good else "FAIL ") + what)
        sys.stdout.flush()
        ok = ok and good

    if url.startswith("https:"):
        c = Chrome()
        try:
            c.open_page()
            err = c.send("Page.navigate", {"url": url}).get("errorText", "")
            step("https page refused without the key trusted (%s)" % err,
                 err.startswith("net::ERR_CERT_"))
        except Exception as e:
            step("browser session: %s" % e, False)
        finally:
            c.close()
    c = Chrome(spki)
    try:
        c.open_page()
        err = c.send("Page.navigate", {"url": url}).get("errorText", "")
        if err:
            step("navigation: " + err, False)
        loaded = ("document.readyState === 'complete' && document."
                  "getElementById('messages').getAttribute('aria-busy')"
                  " === 'false'")
        step("page loads and lists messages", c.wait_for(loaded))
        scheme = url.split(":", 1)[0] + ":"
        step("page served over " + scheme[:-1],
             c.eval("location.protocol") == scheme)
        step("health shown", c.wait_for(
            "document.getElementById('health').textContent"
            ".includes('database ok')"))
        c.eval("""(() => {
            const f = document.getElementById('post-form');
            f.elements.name.value = %s;
            f.elements.text.value = %s;
            f.requestSubmit();
            return true; })()""" % (json.dumps(name), json.dumps(text)))
        listed = ("[...document.querySelectorAll('#messages li p')]"
                  ".some(p => p.textContent === %s)" % json.dumps(text))
        step("posted message is listed", c.wait_for(listed))
        step("form thanks the poster", c.wait_for(
            "document.getElementById('form-status').textContent"
            ".startsWith('Thank you')"))
        c.send("Page.reload")
        time.sleep(0.3)
        step("still listed after reload", c.wait_for(loaded) and
             c.wait_for(listed))
        # a failing API shows a readable error: argv[4] is a shell command
        # that breaks the API (e.g. stops appd)
        if len(args) > 3:
            subprocess.run(args[3], shell=True, check=False)
            c.send("Page.reload")
            time.sleep(0.3)
            step("API failure shows a readable error", c.wait_for(
                "!document.getElementById('error').hidden && document."
                "getElementById('error').textContent.length > 20"))
            print("error text:", c.eval(
                "document.getElementById('error').textContent"))
    except Exception as e:
        step("browser session: %s" % e, False)
    finally:
        c.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
