"""Browser tests of the settings pages: a real headless Chromium against `consentry demo`
serving on 127.0.0.1. Run by scripts/test; screenshots go to .build/browser-artifacts/.

    CONSENTRY_BIN=.build/debug/consentry python -m pytest Tests/browser
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
from axe_core_python.selenium import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, ".build", "browser-artifacts")
BINARY = os.path.abspath(os.environ.get("CONSENTRY_BIN", os.path.join(ROOT, ".build", "debug", "consentry")))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo():
    """`consentry demo` on a free port, with its own store; returns (base URL, store, process, folder)."""
    workdir = tempfile.mkdtemp(prefix="consentry-browser-")
    port = free_port()
    log = open(os.path.join(workdir, "demo.log"), "w")
    process = subprocess.Popen(
        [BINARY, "demo", "--members", "600", "--port", str(port), "--db", os.path.join(workdir, "demo.sqlite")],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(open(os.path.join(workdir, "demo.log")).read())
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the demo server did not start within 60 s")
    return base, os.path.join(workdir, "demo.sqlite"), process, workdir


def stop_demo(process, workdir):
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    base, _, process, workdir = start_demo()
    yield base
    stop_demo(process, workdir)


@pytest.fixture
def own_server():
    """A demo server of the test's own, for a test that changes who is in which dataset;
    yields the base URL and a function running `consentry ARGS --db STORE`."""
    base, store, process, workdir = start_demo()

    def consentry(*arguments):
        result = subprocess.run([BINARY, *arguments, "--db", store], cwd=workdir, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    yield base, consentry, workdir
    stop_demo(process, workdir)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=420,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def screenshot(driver, name):
    """Saves a screenshot of the page and checks it with axe-core: no serious or critical
    accessibility violation (WCAG 2.x A and AA rules, and axe's best practices)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    driver.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))
    check_accessibility(driver, name)


def check_accessibility(driver, name):
    # axe-core 4.4 through axe-core-python: axe-selenium-python bundles axe-core 3, which
    # flags valid HTML (autocomplete="one-time-code", <div> groups in a <dl>) as serious.
    results = Axe().run(driver)
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, name + ".axe.json"), "w") as out:
        json.dump(results, out, indent=1)
    assert not serious, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(str(n["target"]) for n in v["nodes"][:3]) for v in serious)


def choose_on_demo_login(driver, base, label):
    """Starts a sign-in (/auth/sign-in sends the browser to the demo's /login with a state and a
    nonce) and picks `label`, whose form posts the state and a token back to /auth/callback."""
    driver.get(base + "/auth/sign-in")
    assert "/login?state=" in driver.current_url
    screenshot(driver, "login")
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "button.section") if label in b.text]
    assert buttons, f"no demo member labelled {label!r} on /login"
    buttons[0].click()


def sign_in(driver, base, label):
    choose_on_demo_login(driver, base, label)
    wait_for_url(driver, lambda url: url.endswith("/settings/data-privacy"))
    # The page says who is signed in.
    assert "Signed in as" in driver.find_element(By.CSS_SELECTOR, ".account").text
    screenshot(driver, "data-privacy")


def open_setting(driver):
    driver.find_element(By.CSS_SELECTOR, 'a[href="/settings/data-privacy/generative-ai"]').click()
    return driver.find_element(By.ID, "ai-switch")


def test_an_adult_in_europe_switches_it_off_and_it_stays_off(server, browser):
    sign_in(browser, server, "Adult in Europe")
    switch = open_setting(browser)
    assert switch.get_attribute("role") == "switch"
    assert switch.is_selected()
    assert "used by default in your region (Europe)" in browser.find_element(By.ID, "state").text
    screenshot(browser, "adult-europe-on")
    browser.find_element(By.CSS_SELECTOR, 'label[for="ai-switch"]').click()
    browser.find_element(By.CSS_SELECTOR, "button.save").click()
    # Wait for the page the form redirects to. Polling the URL (and ignoring the driver errors
    # Chromium can raise while the old page is torn down) is steadier than watching an element
    # of the old page go stale, which once failed with "unhandled inspector error".
    WebDriverWait(browser, 10, ignored_exceptions=[WebDriverException]).until(
        lambda b: b.current_url.endswith("?saved=1") and b.execute_script("return document.readyState") == "complete")
    assert browser.current_url.endswith("?saved=1")
    assert "Off — you turned this off" in browser.find_element(By.ID, "state").text
    browser.refresh()
    assert "Off — you turned this off" in browser.find_element(By.ID, "state").text
    assert not browser.find_element(By.ID, "ai-switch").is_selected()
    assert "web" in browser.find_element(By.CSS_SELECTOR, "table").text
    screenshot(browser, "adult-europe-off")


def test_a_minor_sees_a_disabled_switch(server, browser):
    sign_in(browser, server, "Minor")
    switch = open_setting(browser)
    assert not switch.is_enabled()
    assert "members under 18 are never included" in browser.find_element(By.ID, "locked").text
    screenshot(browser, "minor")


def test_global_privacy_control_is_applied(server, browser):
    sign_in(browser, server, "Member in the United States")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Sec-GPC": "1"}})
    open_setting(browser)
    assert "Global Privacy Control" in browser.find_element(By.ID, "state").text
    assert "Global Privacy Control" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    screenshot(browser, "gpc-applied")


def wait_for_url(driver, predicate):
    WebDriverWait(driver, 10, ignored_exceptions=[WebDriverException]).until(
        lambda b: predicate(b.current_url) and b.execute_script("return document.readyState") == "complete")


def test_an_objection_is_filed_upheld_and_shown_on_the_setting(server, browser):
    # The member finds the form from the Data privacy page and files without a reason.
    sign_in(browser, server, "Member in Canada")
    browser.find_element(By.CSS_SELECTOR, 'a[href="/settings/data-privacy/objection"]').click()
    assert "You don't have to give a reason" in browser.page_source
    screenshot(browser, "objection-form")
    browser.find_element(By.ID, "email").send_keys("canada@example.com")
    browser.find_element(By.CSS_SELECTOR, ".objection-form button.save").click()
    wait_for_url(browser, lambda url: url.endswith("?filed=1"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Objection received"
    objection_id = browser.find_element(By.ID, "objection-id").text
    assert objection_id.startswith("obj_")
    assert browser.find_element(By.ID, "due").text  # e.g. "29 December 2026"
    screenshot(browser, "objection-receipt")

    # The privacy team finds it in the queue and upholds it.
    browser.delete_all_cookies()
    sign_in_as_staff(browser, server)
    browser.find_element(By.CSS_SELECTOR, f'a[href="/admin/objections/{objection_id}"]').click()
    assert "canada@example.com" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "objection-admin-detail")
    browser.find_element(By.ID, "uphold").click()
    wait_for_url(browser, lambda url: "?done=" in url)
    assert "Done: the objection is now" in browser.find_element(By.CSS_SELECTOR, ".notice").text

    # The member's setting now says why it is off, for good.
    browser.delete_all_cookies()
    sign_in(browser, server, "Member in Canada")
    open_setting(browser)
    assert "Off — your objection was upheld" in browser.find_element(By.ID, "state").text
    screenshot(browser, "objection-upheld-setting")


def sign_in_as_staff(driver, base):
    choose_on_demo_login(driver, base, "Privacy team")
    wait_for_url(driver, lambda url: url.endswith("/admin/objections"))
    assert "(privacy team)" in driver.find_element(By.CSS_SELECTOR, ".account").text
    assert browser_title(driver) == "Objections"
    screenshot(driver, "admin-queue")


def browser_title(driver):
    return driver.find_element(By.TAG_NAME, "h1").text


def session_cookie(driver):
    return next((c for c in driver.get_cookies() if c["name"] == "consentry-session"), None)


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(server, browser):
    sign_in(browser, server, "Adult in Europe")
    assert "urn:li:member:" in browser.find_element(By.CSS_SELECTOR, ".account strong").text
    copied = session_cookie(browser)
    assert copied and copied["httpOnly"]
    screenshot(browser, "signed-in-identity")
    browser.find_element(By.CSS_SELECTOR, ".account button").click()
    wait_for_url(browser, lambda url: url.endswith("/auth/sign-out"))
    assert browser_title(browser) == "Signed out"
    assert session_cookie(browser) is None
    # Someone who copied the cookie before (malware, a shared computer) gets nothing with it.
    browser.add_cookie({"name": copied["name"], "value": copied["value"], "path": "/"})
    browser.get(server + "/settings/data-privacy/generative-ai")
    assert browser_title(browser) == "Please sign in"
    screenshot(browser, "signed-out")


def test_a_sign_in_posted_from_another_site_is_refused(server, browser):
    """Login CSRF: an attacker begins a sign-in in their own browser, takes the form the demo's
    /login would post (state and token for their account), and has the victim's browser post it
    from a page of theirs. The victim's browser began no such sign-in: nothing is signed in."""
    import http.cookiejar
    import re
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(server + "/auth/sign-in").read().decode()
    state = re.search(r'name="state" value="([^"]+)"', login).group(1)
    token = re.search(r'name="token" value="([^"]+)"', login).group(1)
    attack = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)
    attack.write(f"""<!doctype html><form id="f" method="post" action="{server}/auth/callback">
        <input name="state" value="{state}"><input name="token" value="{token}"></form>
        <script>document.getElementById("f").submit()</script>""")
    attack.close()
    browser.get("file://" + attack.name)
    wait_for_url(browser, lambda url: url.endswith("/auth/callback"))
    assert browser_title(browser) == "Sign-in not accepted"
    assert session_cookie(browser) is None
    browser.get(server + "/settings/data-privacy")
    assert browser_title(browser) == "Please sign in"
    os.unlink(attack.name)


def test_a_member_sees_the_dataset_their_data_left_and_the_model_that_saw_it(own_server, browser):
    """Exported into a dataset, a model trained on it, then an objection upheld and a purge:
    the member sees the dataset, the date their data was removed, and the model flagged."""
    server, consentry, workdir = own_server
    consentry("datasets", "export", "--out", os.path.join(workdir, "export"), "--name", "january-export")
    dataset = consentry("datasets", "list", "--ids").split()[0]
    consentry("models", "register", "assistant-v1", "--datasets", dataset)

    sign_in(browser, server, "Adult in Europe")
    open_setting(browser)
    inclusion = browser.find_element(By.CSS_SELECTOR, "ul.inclusion").text
    assert "january-export" in inclusion and dataset in inclusion
    browser.get(server + "/settings/data-privacy/objection")
    browser.find_element(By.CSS_SELECTOR, ".objection-form button.save").click()
    wait_for_url(browser, lambda url: url.endswith("?filed=1"))
    objection_id = browser.find_element(By.ID, "objection-id").text

    browser.delete_all_cookies()
    sign_in_as_staff(browser, server)
    browser.get(server + f"/admin/objections/{objection_id}")
    browser.find_element(By.ID, "uphold").click()
    wait_for_url(browser, lambda url: "?done=" in url)
    purged = consentry("datasets", "purge", "--all")
    assert "removed 1 member" in purged

    browser.delete_all_cookies()
    sign_in(browser, server, "Adult in Europe")
    open_setting(browser)
    removed = browser.find_element(By.CSS_SELECTOR, "ul.inclusion .removed").text
    assert removed.startswith("Your data was removed on"), removed
    model = browser.find_element(By.CSS_SELECTOR, "p.model").text
    assert "assistant-v1" in model and "before your data was removed" in model, model
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, "inclusion"))
    screenshot(browser, "inclusion-removed")

    # The privacy team's dashboard counts the purge and the model; the public page withholds
    # the single removed member.
    browser.delete_all_cookies()
    sign_in_as_staff(browser, server)
    browser.set_window_size(1100, 1400)
    browser.get(server + "/admin")
    assert browser_title(browser) == "Program dashboard"
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart svg[role=img]")
    assert len(charts) == 8 and all(chart.size["height"] > 50 for chart in charts)
    assert "assistant-v1" in browser.find_element(By.ID, "models-heading").find_element(By.XPATH, "..").text
    screenshot(browser, "admin-dashboard")
    for code in ("de", "fr"):
        browser.get(server + f"/language?to={code}&next=/admin")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code
        screenshot(browser, f"admin-dashboard-{code}")
        browser.get(server + "/admin/objections")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code
        screenshot(browser, f"admin-queue-{code}")
        browser.get(server + f"/admin/objections/{objection_id}")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code
        screenshot(browser, f"admin-objection-{code}")
    browser.delete_all_cookies()
    browser.get(server + "/transparency")
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure.chart svg[role=img]")) == 8
    summary = browser.find_element(By.ID, "removal-heading").find_element(By.XPATH, "..").text
    assert "fewer than 10" in summary
    screenshot(browser, "transparency")
    for code, withheld in (("de", "weniger als 10"), ("fr", "moins de 10")):
        browser.find_element(By.CSS_SELECTOR, f'nav.languages a[hreflang="{code}"]').click()
        wait_for_url(browser, lambda url: url.endswith("/transparency"))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code
        assert withheld in browser.find_element(By.ID, "removal-heading").find_element(By.XPATH, "..").text
        screenshot(browser, f"transparency-{code}")


def test_the_setting_works_with_the_keyboard_alone(own_server, browser):
    """Tab to the switch, Space to flip it, Tab to Save, Enter: the choice is recorded, and the
    focus is always visible where it is."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.action_chains import ActionChains
    server, _, _ = own_server
    sign_in(browser, server, "Adult in Europe")
    browser.get(server + "/settings/data-privacy/generative-ai")

    def tab_to(predicate, limit=40):
        for _ in range(limit):
            ActionChains(browser).send_keys(Keys.TAB).perform()
            active = browser.switch_to.active_element
            if predicate(active):
                return active
        raise AssertionError("not reachable with Tab")

    switch = tab_to(lambda e: e.get_attribute("id") == "ai-switch")
    outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", switch)
    assert outline not in ("none", ""), "the focused switch shows where the focus is"
    assert switch.is_selected()
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    assert not browser.find_element(By.ID, "ai-switch").is_selected()
    # What a screen reader hears: the accessibility tree's checked state of the switch.
    browser.execute_cdp_cmd("Accessibility.enable", {})
    nodes = browser.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    switch_node = next(n for n in nodes if n.get("role", {}).get("value") == "switch")
    checked = next(p["value"]["value"] for p in switch_node.get("properties", []) if p["name"] == "checked")
    assert checked == "false", "announced off once flipped (a fixed aria-checked said on)"
    tab_to(lambda e: "save" in (e.get_attribute("class") or ""))
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for_url(browser, lambda url: url.endswith("?saved=1"))
    assert "Off — you turned this off" in browser.find_element(By.ID, "state").text


def test_the_member_pages_in_every_language(server, browser):
    """The switcher on the page changes the language and keeps it; each page, in each
    language, says so in its lang attribute and passes axe-core."""
    sign_in(browser, server, "Minor")
    titles = {"en": "Data for Generative AI Improvement", "de": "Daten zur Verbesserung generativer KI",
              "fr": "Données pour l'amélioration de l'IA générative"}
    for code in ("de", "fr", "en"):
        browser.get(server + "/settings/data-privacy/generative-ai")
        switcher = browser.find_element(By.CSS_SELECTOR, f'nav.languages a[hreflang="{code}"]') if code != "en" or \
            browser.find_element(By.TAG_NAME, "html").get_attribute("lang") != "en" else None
        if switcher:
            switcher.click()
            wait_for_url(browser, lambda url: url.endswith("/settings/data-privacy/generative-ai"))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code
        assert browser_title(browser) == titles[code]
        screenshot(browser, f"setting-{code}")
        browser.get(server + "/settings/data-privacy")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code, "the choice is kept"
        screenshot(browser, f"data-privacy-{code}")
        browser.get(server + "/settings/data-privacy/objection")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code
        screenshot(browser, f"objection-form-{code}")
    # An objection filed in French: its receipt page is in French.
    browser.find_element(By.CSS_SELECTOR, 'nav.languages a[hreflang="fr"]').click()
    wait_for_url(browser, lambda url: url.endswith("/settings/data-privacy/objection"))
    browser.find_element(By.CSS_SELECTOR, ".objection-form button.save").click()
    wait_for_url(browser, lambda url: url.endswith("?filed=1"))
    assert browser_title(browser) == "Opposition reçue"
    assert "Reçue — en cours d'examen" in browser.find_element(By.CSS_SELECTOR, ".receipt").text
    screenshot(browser, "objection-receipt-fr")
    # The demo's sign-in page, in the language chosen.
    for code, title in (("fr", "Se connecter à la démo"), ("de", "Bei der Demo anmelden")):
        browser.get(server + f"/language?to={code}&next=/auth/sign-in")
        assert browser_title(browser) == title
        screenshot(browser, f"login-{code}")
