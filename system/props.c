/*
 * props.c: Kafka-style properties, see props.h.
 */
#include "props.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void props_init(struct props *props) { memset(props, 0, sizeof(*props)); }

void props_free(struct props *props)
{
    for (uint32_t i = 0; i < props->count; i++) {
        free(props->entries[i].key);
        free(props->entries[i].value);
    }
    props->count = 0;
}

static struct props_entry *props_find(const struct props *props, const char *key)
{
    for (uint32_t i = 0; i < props->count; i++) {
        if (strcmp(props->entries[i].key, key) == 0)
            return (struct props_entry *)&props->entries[i];
    }
    return NULL;
}

enum ks_err props_set(struct props *props, const char *key, const char *value)
{
    KS_ASSERT(props->count <= PROPS_ENTRIES_MAX);
    size_t key_len = strlen(key);
    if (key_len == 0 || key_len >= PROPS_KEY_BYTES_MAX || strlen(value) >= PROPS_VALUE_BYTES_MAX)
        return KS_ERR_INVALID;
    struct props_entry *e = props_find(props, key);
    if (e != NULL) {
        free(e->value);
        e->value = ks_strdup(value);
        return KS_OK;
    }
    if (props->count == PROPS_ENTRIES_MAX)
        return KS_ERR_TOO_MANY;
    e = &props->entries[props->count++];
    e->key = ks_strdup(key);
    e->value = ks_strdup(value);
    return KS_OK;
}

enum ks_err props_merge(struct props *dst, const struct props *src)
{
    for (uint32_t i = 0; i < src->count; i++) {
        enum ks_err err = props_set(dst, src->entries[i].key, src->entries[i].value);
        if (err != KS_OK)
            return err;
    }
    return KS_OK;
}

const char *props_get(const struct props *props, const char *key)
{
    struct props_entry *e = props_find(props, key);
    return e == NULL ? NULL : e->value;
}

enum ks_err props_get_i64(const struct props *props, const char *key, int64_t default_value,
                          int64_t *out)
{
    const char *v = props_get(props, key);
    if (v == NULL) {
        *out = default_value;
        return KS_OK;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0')
        return KS_ERR_INVALID;
    *out = n;
    return KS_OK;
}

enum ks_err props_get_bool(const struct props *props, const char *key, bool default_value,
                           bool *out)
{
    const char *v = props_get(props, key);
    if (v == NULL) {
        *out = default_value;
        return KS_OK;
    }
    if (strcmp(v, "true") == 0) {
        *out = true;
        return KS_OK;
    }
    if (strcmp(v, "false") == 0) {
        *out = false;
        return KS_OK;
    }
    return KS_ERR_INVALID;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static enum ks_err props_parse_line(struct props *props, char *line)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#' || *s == '!')
        return KS_OK;
    char *sep = strpbrk(s, "=:");
    if (sep == NULL)
        return KS_ERR_INVALID;
    *sep = '\0';
    char *key = trim(s);
    char *value = trim(sep + 1);
    return props_set(props, key, value);
}

enum ks_err props_parse(struct props *props, const char *text, uint32_t *error_line_out)
{
    char *copy = ks_strdup(text);
    char *cursor = copy;
    uint32_t line_number = 0;
    enum ks_err err = KS_OK;
    while (cursor != NULL && err == KS_OK) {
        char *next = strchr(cursor, '\n');
        if (next != NULL)
            *next++ = '\0';
        line_number++;
        err = props_parse_line(props, cursor);
        cursor = next;
    }
    if (err != KS_OK && error_line_out != NULL)
        *error_line_out = line_number;
    free(copy);
    return err;
}
