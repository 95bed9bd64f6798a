# SPDX-License-Identifier: MIT
"""--version prints the version block of spec §3.8 on stdout and exits 0."""


def test_version(env_self):
    p = env_self.fence("--version", check=0)
    lines = p.stdout.splitlines()
    assert lines[0] == "fence - lightweight, container-free sandbox for running untrusted commands"
    assert lines[1].startswith("  Version: ")
    assert p.stderr == ""
