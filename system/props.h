/*
 * props.h: a configuration as Kafka spells it: ordered `key=value` properties
 * (`log.segment.bytes=1048576`). Used by scenario scripts, node types and kbroker's
 * .properties files. Keys keep the order of first setting; lookups are linear (a
 * configuration holds tens of keys).
 */
#ifndef KS_PROPS_H
#define KS_PROPS_H

#include "ks.h"

#define PROPS_ENTRIES_MAX 256u
#define PROPS_KEY_BYTES_MAX 128u
#define PROPS_VALUE_BYTES_MAX 4096u

struct props_entry {
    char *key;
    char *value;
};

struct props {
    struct props_entry entries[PROPS_ENTRIES_MAX];
    uint32_t count;
};

void props_init(struct props *props);
void props_free(struct props *props);
/* Copy every entry of src into dst (dst's own entries are overwritten by src's). */
KS_MUST_CHECK enum ks_err props_merge(struct props *dst, const struct props *src);

/* Set key to value (replacing). Errors: KS_ERR_TOO_MANY, KS_ERR_INVALID (empty or
 * oversized key or value). */
KS_MUST_CHECK enum ks_err props_set(struct props *props, const char *key, const char *value);

/* The value of key, or NULL. */
const char *props_get(const struct props *props, const char *key);

/* Integer value (decimal, optional sign) or default when missing. KS_ERR_INVALID when
 * present but not an integer. */
KS_MUST_CHECK enum ks_err props_get_i64(const struct props *props, const char *key,
                                        int64_t default_value, int64_t *out);
/* Boolean value "true"/"false" or default when missing. */
KS_MUST_CHECK enum ks_err props_get_bool(const struct props *props, const char *key,
                                         bool default_value, bool *out);

/* Parse a Java-style .properties text: `key=value` or `key: value` lines, `#` and `!`
 * comments, blank lines. On error *error_line_out names the 1-based line. */
KS_MUST_CHECK enum ks_err props_parse(struct props *props, const char *text,
                                      uint32_t *error_line_out);

#endif
