/* SPDX-License-Identifier: MIT */
/*
 * `fence config show` / `fence config init`, and the two helpers `fence import` shares with
 * them: the template check and the `//` header of a written config file.
 */
#pragma once

#include <stdbool.h>

/* Whether name (".json" suffix tolerated) is a built-in template. */
bool config_template_exists(const char *name);

/* The `//` comment header of a written config: "// <first>." and two more lines for a config
 * that extends nothing, five lines naming `extends` otherwise. malloc'd; NULL on ENOMEM. */
char *config_header(const char *first, const char *extends);
