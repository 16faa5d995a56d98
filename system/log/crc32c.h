/*
 * crc32c.h: CRC-32C (Castagnoli), as Kafka computes it for RecordBatch v2 and
 * producer snapshots. Kafka: org.apache.kafka.common.utils.Crc32C (KIP-98).
 *
 * Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF; the check
 * value of "123456789" is 0xE3069283. Pure functions, no state.
 */
#ifndef KS_LOG_CRC32C_H
#define KS_LOG_CRC32C_H

#include "system/ks.h"

/* The CRC-32C of bytes[0..size_bytes). bytes may be NULL when size_bytes is 0. */
uint32_t crc32c(const uint8_t *bytes, size_t size_bytes);

/*
 * Continues a CRC: crc32c_extend(crc32c(a), b) == crc32c(a followed by b), and
 * crc32c_extend(0, b) == crc32c(b). For checksums over data that arrives in pieces.
 */
uint32_t crc32c_extend(uint32_t crc, const uint8_t *bytes, size_t size_bytes);

/* The portable table path, whatever the CPU offers: for tests and benchmarks. */
uint32_t crc32c_extend_table(uint32_t crc, const uint8_t *bytes, size_t size_bytes);

#endif
