"""What the studio's browser tests share: the CLI to start, a free loopback port and a
headless Chromium (Debian's chromium and chromium-driver)."""
import os
import socket
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AEQ_BIN", ROOT / ".build" / "release" / "adaptive-eq"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium(*arguments, performance_log=False):
    """A headless Chromium that may play audio without a gesture; `arguments` are added."""
    options = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1350",
              "--autoplay-policy=no-user-gesture-required", *arguments]:
        options.add_argument(a)
    options.binary_location = "/usr/bin/chromium"
    if performance_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def js(driver, script, *args):
    return driver.execute_script(script, *args)
