/*
 * sm.c: state-machine tables, their legality checks and `sm` trace events, see sm.h.
 */
#include "sm.h"

#include <stdio.h>
#include <string.h>

static uint32_t sm_popcount(uint32_t mask)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < SM_STATES_MAX; i++)
        n += (mask >> i) & 1u;
    return n;
}

bool sm_legal(const struct sm_def *def, uint32_t from, uint32_t to)
{
    KS_ASSERT(def->state_count <= SM_STATES_MAX);
    if (from >= def->state_count || to >= def->state_count)
        return false;
    return (def->next_mask[from] & SM_BIT(to)) != 0;
}

uint32_t sm_edge_count(const struct sm_def *def)
{
    KS_ASSERT(def->state_count <= SM_STATES_MAX);
    uint32_t count = 0;
    for (uint32_t from = 0; from < def->state_count; from++)
        count += sm_popcount(def->next_mask[from]);
    KS_ASSERT(count <= SM_EDGES_MAX);
    return count;
}

int32_t sm_edge_index(const struct sm_def *def, uint32_t from, uint32_t to)
{
    if (!sm_legal(def, from, to))
        return -1;
    uint32_t index = 0;
    for (uint32_t f = 0; f < from; f++)
        index += sm_popcount(def->next_mask[f]);
    index += sm_popcount(def->next_mask[from] & (SM_BIT(to) - 1u));
    KS_ASSERT(index < sm_edge_count(def));
    return (int32_t)index;
}

void sm_edge_at(const struct sm_def *def, uint32_t index, uint32_t *from_out, uint32_t *to_out)
{
    KS_ASSERT(index < sm_edge_count(def));
    uint32_t seen = 0;
    for (uint32_t from = 0; from < def->state_count; from++) {
        for (uint32_t to = 0; to < def->state_count; to++) {
            if ((def->next_mask[from] & SM_BIT(to)) == 0)
                continue;
            if (seen++ == index) {
                *from_out = from;
                *to_out = to;
                return;
            }
        }
    }
    KS_UNREACHABLE();
}

int32_t sm_state_find(const struct sm_def *def, const char *name, size_t name_len)
{
    KS_ASSERT(def->state_count <= SM_STATES_MAX);
    for (uint32_t i = 0; i < def->state_count; i++) {
        const char *s = def->state_names[i];
        if (strlen(s) == name_len && memcmp(s, name, name_len) == 0)
            return (int32_t)i;
    }
    return -1;
}

/* A single word of letters, digits and '_', shorter than SM_NAME_BYTES_MAX. */
static bool sm_word_ok(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    size_t len = strnlen(s, SM_NAME_BYTES_MAX);
    if (len >= SM_NAME_BYTES_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

enum ks_err sm_def_check(const struct sm_def *def, char *why, size_t why_bytes)
{
    if (!sm_word_ok(def->name)) {
        snprintf(why, why_bytes, "machine name '%s' is not one word", def->name ? def->name : "");
        return KS_ERR_INVALID;
    }
    if (def->state_count == 0 || def->state_count > SM_STATES_MAX) {
        snprintf(why, why_bytes, "%s: %u states (1..%u)", def->name, def->state_count,
                 SM_STATES_MAX);
        return KS_ERR_INVALID;
    }
    uint32_t all = def->state_count == 32 ? UINT32_MAX : SM_BIT(def->state_count) - 1u;
    for (uint32_t i = 0; i < def->state_count; i++) {
        if (!sm_word_ok(def->state_names[i])) {
            snprintf(why, why_bytes, "%s: state %u has no one-word name", def->name, i);
            return KS_ERR_INVALID;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(def->state_names[i], def->state_names[j]) == 0) {
                snprintf(why, why_bytes, "%s: state name '%s' twice", def->name,
                         def->state_names[i]);
                return KS_ERR_INVALID;
            }
        }
        if ((def->next_mask[i] & ~all) != 0) {
            snprintf(why, why_bytes, "%s: %s leads to a state beyond the %u declared", def->name,
                     def->state_names[i], def->state_count);
            return KS_ERR_INVALID;
        }
    }
    return KS_OK;
}

void sm_format(const struct sm_def *def, uint32_t from, uint32_t to, char *buf, size_t buf_bytes)
{
    KS_ASSERT(from < def->state_count);
    KS_ASSERT(to < def->state_count);
    snprintf(buf, buf_bytes, "%s %s->%s", def->name, def->state_names[from], def->state_names[to]);
}

void sm_transition(struct env *env, const struct sm_def *def, uint32_t from, uint32_t to)
{
    KS_ASSERT(from < def->state_count);
    KS_ASSERT(to < def->state_count);
    KS_ASSERT(sm_legal(def, from, to));
    env_tracef(env, SM_TRACE_KIND, "%s %s->%s", def->name, def->state_names[from],
               def->state_names[to]);
}
