# SPDX-License-Identifier: MIT
"""Name-based rules end to end with real clients: a fresh user + network namespace gives
loopback two public-looking addresses and a fake DNS server (proxy_netns_scenario.py), so that
wildcards, deny-beats-allow and the rebinding guard are checked through the proxy's own
resolver, with curl over absolute-form HTTP, CONNECT and SOCKS5."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import have, require  # noqa: E402
from proxyutil import PROXYD  # noqa: E402

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def outcome():
    require(have("unshare") and have("ip") and have("curl"), "needs unshare, ip and curl")
    ok = subprocess.run(["unshare", "-Urn", "true"], capture_output=True).returncode == 0
    require(ok, "unprivileged user+network namespaces are not available")
    r = subprocess.run(["unshare", "-Urn", sys.executable, str(HERE / "proxy_netns_scenario.py"),
                        PROXYD], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def allowed(o):
    return (o["http"][1] == "200" and o["connect"][0] == 0 and
            o["connect"][1] == "hello from origin\n" and o["socks"][0] == 0)


def refused_by_policy(o):
    return (o["http"][1] == "403" and o["connect"][0] == 56 and "403" in o["connect"][2] and
            o["socks"][0] == 97 and "(2)" in o["socks"][2])


@pytest.mark.parametrize("name", ["a.allowed.test", "b.c.allowed.test", "A.ALLOWED.TEST"])
def test_wildcard_allows_subdomains(outcome, name):
    assert allowed(outcome[name]), outcome[name]


def test_wildcard_does_not_cover_apex(outcome):
    assert refused_by_policy(outcome["allowed.test"]), outcome["allowed.test"]


def test_deny_beats_allow(outcome):
    assert refused_by_policy(outcome["bad.allowed.test"]), outcome["bad.allowed.test"]


def test_unlisted(outcome):
    assert refused_by_policy(outcome["other.test"]), outcome["other.test"]


@pytest.mark.parametrize("name", ["rebind.allowed.test", "meta.allowed.test"])
def test_rebinding_to_internal_refused(outcome, name):
    # allowed by the wildcard, but it resolves to loopback / link-local: the guard refuses
    assert refused_by_policy(outcome[name]), outcome[name]


def test_rebinding_target_reachable_without_the_guard(outcome):
    # control: the loopback service the rebinding names point at does answer a direct request
    assert outcome["direct_loopback"][0] == 0
    assert outcome["direct_loopback"][1] == "hello from origin\n"


def test_exact_name_may_reach_loopback(outcome):
    assert allowed(outcome["exact.test"]), outcome["exact.test"]


def test_unknown_name(outcome):
    o = outcome["nxdomain.allowed.test"]
    assert o["http"][1] == "502" and o["socks"][0] == 97 and "(4)" in o["socks"][2], o


def test_names_resolve_only_through_the_proxy(outcome):
    assert outcome["direct_name"][0] != 0
