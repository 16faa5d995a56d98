/*
 * history.c: the clients' append-only event list, see history.h.
 */
#include "history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_CAPACITY_FIRST 1024u

const char *history_op_name(enum history_op op)
{
    switch (op) {
    case HISTORY_SEND:
        return "SEND";
    case HISTORY_ACK:
        return "ACK";
    case HISTORY_FAIL:
        return "FAIL";
    case HISTORY_RECEIVE:
        return "RECEIVE";
    case HISTORY_RESET:
        return "RESET";
    case HISTORY_ERROR:
        return "ERROR";
    }
    return "?";
}

struct history *history_create(void)
{
    return ks_alloc(sizeof(struct history));
}

void history_free(struct history *h)
{
    if (h == NULL)
        return;
    free(h->events);
    free(h);
}

static uint32_t history_name_find(char (*names)[HISTORY_NAME_BYTES_MAX], uint32_t *count,
                                  uint32_t max, const char *name)
{
    for (uint32_t i = 0; i < *count; i++) {
        if (strncmp(names[i], name, HISTORY_NAME_BYTES_MAX - 1) == 0)
            return i;
    }
    KS_ASSERT(*count < max);
    snprintf(names[*count], HISTORY_NAME_BYTES_MAX, "%s", name);
    return (*count)++;
}

uint32_t history_client_register(struct history *h, const char *name)
{
    return history_name_find(h->clients, &h->client_count, HISTORY_CLIENTS_MAX, name);
}

uint32_t history_topic_intern(struct history *h, const char *topic)
{
    return history_name_find(h->topics, &h->topic_count, HISTORY_TOPICS_MAX, topic);
}

const char *history_client_name(const struct history *h, uint32_t client)
{
    KS_ASSERT(client < h->client_count);
    return h->clients[client];
}

const char *history_topic_name(const struct history *h, uint32_t topic)
{
    KS_ASSERT(topic < h->topic_count);
    return h->topics[topic];
}

uint64_t history_digest(const uint8_t *bytes, uint32_t size_bytes)
{
    if (bytes == NULL)
        return 0;
    return ks_fnv1a64(KS_FNV1A64_INIT, bytes, size_bytes);
}

void history_event_set_value(struct history_event *e, const uint8_t *value, uint32_t size_bytes)
{
    e->value_digest = history_digest(value, size_bytes);
    uint32_t n = size_bytes < HISTORY_TEXT_BYTES - 1 ? size_bytes : HISTORY_TEXT_BYTES - 1;
    memset(e->value_text, 0, sizeof(e->value_text));
    for (uint32_t i = 0; value != NULL && i < n; i++)
        e->value_text[i] = value[i] >= 0x20 && value[i] < 0x7f ? (char)value[i] : '.';
}

void history_event_set_key(struct history_event *e, const uint8_t *key, uint32_t size_bytes)
{
    e->key_null = key == NULL;
    e->key_digest = history_digest(key, size_bytes);
}

uint64_t history_append(struct history *h, const struct history_event *e)
{
    if (h->count == HISTORY_EVENTS_MAX) {
        h->dropped++;
        return h->count;
    }
    if (h->count == h->capacity) {
        h->capacity = h->capacity == 0 ? HISTORY_CAPACITY_FIRST : h->capacity * 2;
        h->events = ks_realloc(h->events, h->capacity * sizeof(*h->events));
    }
    KS_ASSERT(e->client < h->client_count);
    KS_ASSERT(e->topic < h->topic_count);
    struct history_event *slot = &h->events[h->count];
    *slot = *e;
    slot->index = h->count;
    return h->count++;
}

void history_event_format(const struct history *h, const struct history_event *e, char *buf,
                          size_t buf_bytes)
{
    snprintf(
        buf, buf_bytes, "#%" PRIu64 " t=%" PRIu64 ".%03" PRIu64 "s %s %s %s-%d@%" PRId64 " v=%s %s",
        e->index, e->time_ns / 1000000000u, e->time_ns / 1000000u % 1000u,
        history_client_name(h, e->client), history_op_name(e->op), history_topic_name(h, e->topic),
        e->partition, e->offset, e->value_text, ks_err_name(e->result));
}
