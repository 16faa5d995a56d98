/*
 * jstring.h: Java String semantics over UTF-8 bytes, where Kafka's behaviour depends on
 * them: String.hashCode (the __consumer_offsets partition of a group, section 10.1 of
 * kafka-internals.md) and String.compareTo (the order assignors sort topics and member
 * ids in). Both work on UTF-16 code units: a code point above U+FFFF counts as its two
 * surrogates, so it sorts below U+E000..U+FFFF, unlike a byte-wise UTF-8 compare.
 *
 * Bytes that are not valid UTF-8 each become U+FFFD, as Java's decoder replaces a
 * malformed byte (for a truncated multi-byte sequence Java may use one U+FFFD for the
 * whole prefix; group ids and topics from Kafka clients are always valid UTF-8).
 */
#ifndef KS_GROUP_JSTRING_H
#define KS_GROUP_JSTRING_H

#include "system/proto/wire.h"

/* Java's String.hashCode: h = 31 * h + unit over UTF-16 code units, int32 wrap-around. */
int32_t jstring_hash(struct wire_string s);
/* Java's String.compareTo sign: <0, 0, >0. Null sorts before everything (never Java's). */
int jstring_compare(struct wire_string a, struct wire_string b);

#endif
