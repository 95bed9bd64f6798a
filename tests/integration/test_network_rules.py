# SPDX-License-Identifier: MIT
"""The domain rules of spec §6.1 end to end, from inside a real sandbox, on destinations the
SSRF guard lets through: the test runs network_rules_scenario.py in its own user and network
namespace, where loopback carries two TEST-NET addresses with origins on them. Wildcards match
strict subdomains only, case-insensitively; deny beats allow; exact entries are exact; IP
literals are matched as text."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FENCE_BIN, have, require  # noqa: E402

HERE = Path(__file__).parent
ALLOWED = ["200", "0", "0"]   # absolute-form 200, CONNECT ok, SOCKS5 ok
REFUSED = ["403", "56", "97"]  # 403, CONNECT answered 403, SOCKS5 reply 0x02


@pytest.fixture
def outcome(env):
    require(have("unshare") and have("ip") and have("curl"), "needs unshare, ip and curl")
    ok = subprocess.run(env.ident.wrap(["unshare", "-Urn", "true"]),
                        capture_output=True).returncode == 0
    require(ok, "unprivileged user+network namespaces are not available")
    r = subprocess.run(env.ident.wrap(["unshare", "-Urn", sys.executable,
                                       str(HERE / "network_rules_scenario.py"), FENCE_BIN]),
                       capture_output=True, text=True, timeout=180, cwd=env.work,
                       env=env.environ())
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == 0, out["stderr"]
    return out


def test_domain_rules(outcome):
    got = outcome["results"]
    want = {
        "a.allowed.test": ALLOWED,          # *.x: a subdomain
        "b.c.allowed.test": ALLOWED,        # ... at any depth
        "A.ALLOWED.TEST": ALLOWED,          # case-insensitive
        "allowed.test": REFUSED,            # *.x does not cover x itself
        "bad.allowed.test": REFUSED,        # deniedDomains beats allowedDomains
        "xallowed.test": REFUSED,           # not a subdomain, just a suffix
        "allowed.test.evil.test": REFUSED,  # a prefix is not a match
        "exact.test": ALLOWED,
        "EXACT.test": ALLOWED,
        "sub.exact.test": REFUSED,          # an exact entry covers no subdomain
        "other.test": REFUSED,              # unlisted
        "203.0.113.10": REFUSED,            # the address of an allowed name is not allowed
    }
    assert got == want, outcome["stderr"]
    log = outcome["stderr"]
    assert "[fence:filter] Denied by rule: bad.allowed.test:8080 (matched bad.allowed.test)" in log
    assert "[fence:filter] Allowed by rule: a.allowed.test:8080 (matched *.allowed.test)" in log
    assert "[fence:filter] No matching rule, denying: allowed.test:8080" in log
