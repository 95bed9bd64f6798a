/* SPDX-License-Identifier: MIT */
/*
 * SSH policy (spec/fence-behaviour.md §8): recognises an `ssh` invocation among the segments of
 * a command, finds its destination and remote command, and applies ssh.deniedHosts,
 * ssh.allowedHosts and the remote-command rules (inheritDeny, deniedCommands,
 * allowAllCommands, allowedCommands) in the Go tool's order and with its messages. Pure.
 */
#pragma once

#include <stdbool.h>

#include "policy/cmdpol.h"
#include "util/fbuf.h"

/* True when the policy has SSH hosts configured (otherwise ssh is an ordinary command). */
bool sshpol_active(const cmdpol *p);

/* Host pattern match: case-insensitive, '*' matches any run of characters anywhere. */
bool sshpol_host_matches(const char *host, const char *pattern);

/* Finds the destination host (user@ removed) and the remote command (the words after the
 * destination joined with spaces, "" for none) of an ssh segment. Returns 1 with both set
 * (malloc'd), 0 when the segment is not ssh or names no destination, -ENOMEM. */
int sshpol_parse(const cmdparse_segment *seg, char **ret_host, char **ret_remote);

/* Checks one segment. Returns 0 when allowed (or not ssh, or the policy is inactive), 1 when
 * blocked with the §8 message appended to msg, or a negative errno (a remote command the parser
 * cannot handle: see cmdparse_string). */
int sshpol_check(const cmdpol *p, const cmdparse_segment *seg, fbuf *msg);
