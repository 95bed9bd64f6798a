/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the "#!" parser of the argv-mode exec supervisor (execsup_parse_shebang): the
 * first bytes of any file a sandboxed process execs. Must never crash or read past the input, and
 * what it returns must have the kernel's shape: a non-empty interpreter without blanks, an
 * argument without a newline or surrounding blanks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/execsup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int blank(char c) {
    return c == ' ' || c == '\t';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    execsup_shebang sb;
    size_t n;
    int r = execsup_parse_shebang((const char *) data, size, &sb);

    if (r != 1) {
        if (r != 0 && r != -ENOEXEC)
            abort();
        return 0;
    }
    if (size < 2 || data[0] != '#' || data[1] != '!')
        abort();
    n = strnlen(sb.interp, sizeof(sb.interp));
    if (n == 0 || n >= sizeof(sb.interp) || strpbrk(sb.interp, " \t\n"))
        abort();
    n = strnlen(sb.arg, sizeof(sb.arg));
    if (n >= sizeof(sb.arg) || (n > 0) != sb.has_arg || memchr(sb.arg, '\n', n))
        abort();
    if (n > 0 && (blank(sb.arg[0]) || blank(sb.arg[n - 1])))
        abort();
    return 0;
}
