/*
 * jstring.c: Java String hashCode and compareTo over UTF-8 bytes, by walking UTF-16
 * code units. Kafka: java.lang.String (hashCode, compareTo), Utils.abs callers.
 */
#include "system/group/jstring.h"

/* U+FFFD, what Java's UTF-8 decoder puts for a malformed byte. */
#define JSTRING_REPLACEMENT 0xfffdu

/* Walks the UTF-16 code units of a UTF-8 string. */
struct jstring_units {
    const uint8_t *bytes;
    uint32_t size;
    uint32_t offset;
    uint16_t low_surrogate; /* pending second unit, 0 if none */
};

/* Decodes one code point at u->offset (advancing), U+FFFD on malformed input. */
static uint32_t jstring_units_code_point(struct jstring_units *u)
{
    uint8_t lead = u->bytes[u->offset];
    uint32_t need = lead < 0x80             ? 0
                    : (lead & 0xe0) == 0xc0 ? 1
                    : (lead & 0xf0) == 0xe0 ? 2
                    : (lead & 0xf8) == 0xf0 ? 3
                                            : 4;
    static const uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
    if (need == 0 || need == 4 || u->size - u->offset - 1 < need) {
        u->offset++;
        return need == 0 ? lead : JSTRING_REPLACEMENT;
    }
    uint32_t cp = lead & (0x3fu >> need);
    for (uint32_t i = 1; i <= need; i++) {
        uint8_t b = u->bytes[u->offset + i];
        if ((b & 0xc0) != 0x80) {
            u->offset++;
            return JSTRING_REPLACEMENT;
        }
        cp = cp << 6 | (b & 0x3fu);
    }
    u->offset += need + 1;
    bool bad = cp < minimum[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff);
    return bad ? JSTRING_REPLACEMENT : cp;
}

/* The next UTF-16 code unit; false at the end. */
static bool jstring_units_next(struct jstring_units *u, uint16_t *unit)
{
    KS_ASSERT(u->offset <= u->size);
    if (u->low_surrogate != 0) {
        *unit = u->low_surrogate;
        u->low_surrogate = 0;
        return true;
    }
    if (u->offset == u->size)
        return false;
    uint32_t cp = jstring_units_code_point(u);
    if (cp < 0x10000) {
        *unit = (uint16_t)cp;
        return true;
    }
    cp -= 0x10000;
    *unit = (uint16_t)(0xd800 + (cp >> 10));
    u->low_surrogate = (uint16_t)(0xdc00 + (cp & 0x3ff));
    return true;
}

static void jstring_units_init(struct jstring_units *u, struct wire_string s)
{
    u->bytes = (const uint8_t *)s.chars;
    u->size = s.length < 0 ? 0 : (uint32_t)s.length;
    u->offset = 0;
    u->low_surrogate = 0;
}

int32_t jstring_hash(struct wire_string s)
{
    struct jstring_units u;
    uint32_t hash = 0; /* unsigned: Java's int overflow wraps */
    uint16_t unit;
    jstring_units_init(&u, s);
    while (jstring_units_next(&u, &unit))
        hash = 31u * hash + unit;
    KS_ASSERT(u.offset == u.size);
    return (int32_t)hash;
}

int jstring_compare(struct wire_string a, struct wire_string b)
{
    struct jstring_units ua, ub;
    uint16_t unit_a, unit_b;
    if (wire_string_is_null(a) || wire_string_is_null(b))
        return (int)!wire_string_is_null(a) - (int)!wire_string_is_null(b);
    jstring_units_init(&ua, a);
    jstring_units_init(&ub, b);
    for (;;) { /* bounded: each turn consumes input from both strings */
        bool more_a = jstring_units_next(&ua, &unit_a);
        bool more_b = jstring_units_next(&ub, &unit_b);
        if (!more_a || !more_b)
            return (int)more_a - (int)more_b;
        if (unit_a != unit_b)
            return (int)unit_a - (int)unit_b;
    }
}
