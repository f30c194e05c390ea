/* model_name.h - matching model names against tables of known names.
 *
 * Model names come with vendor prefixes ("openai/gpt-4o", "openrouter/openai/gpt-4o"),
 * dated snapshots ("gpt-4o-2024-08-06", "claude-sonnet-4-5-20250929") and in any case.
 * These helpers hold the one rule for that, shared by the token formulas (tokens.c) and
 * the price table (pricing.c). Pure functions; nothing is allocated. */
#ifndef VB_MODEL_NAME_H
#define VB_MODEL_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* The name without its vendor prefix: whatever follows the last '/' of model ("gpt-4o"
 * for "openrouter/openai/gpt-4o"). model itself when it has no '/'. model must not be
 * NULL. */
const char *model_name_strip_vendor(const char *model);

/* True when c may follow a known name inside a longer one: the name ends there ('\0') or
 * a new component starts ('-', ':', '@', '_'). So "o1" is a prefix of "o1-pro" but not
 * of "o10". */
bool model_name_is_boundary(char c);

/* strlen(prefix) when prefix matches the start of name case-insensitively and ends at a
 * boundary of name (model_name_is_boundary), else 0. An empty prefix never matches.
 * Callers keep the entry with the largest result: the longest known prefix wins, so
 * "gpt-4o-mini" goes to a "gpt-4o-mini" entry rather than to "gpt-4o". */
size_t model_name_prefix_len(const char *name, const char *prefix);

/* True when rest, the part of a name after a known prefix, only names a snapshot of that
 * model: empty, or a separator followed by digits and separators ("-2024-08-06",
 * "-20250929", "-001", "@20250929"). "-mini", "-nano" or "-lite" name another model,
 * which may have another price. */
bool model_name_is_snapshot_suffix(const char *rest);

#endif
