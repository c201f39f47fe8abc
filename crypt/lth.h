/* lth.h - the LTH1 segmented AEAD file format (docs/FORMAT.md): keys and fds (or byte sources) in,
 * bytes out. */
#ifndef LT_CRYPT_LTH_H
#define LT_CRYPT_LTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytesrc.h"
#include "common/sizes.h"
#include "include/lethe.h"

#define LT_LTH_SEG_LOG2_MIN     12
#define LT_LTH_SEG_LOG2_MAX     20
#define LT_LTH_SEG_LOG2_DEFAULT 16
#define LT_LTH_SALT_LEN         32
#define LT_LTH_OBJECT_ID_LEN    16

/* What an encryption produced. */
struct lt_lth_info {
	uint64_t plaintext_size;
	uint64_t ciphertext_size;
	uint8_t ciphertext_sha256[32]; /* of every byte written to out_fd */
};

/*
 * Encrypt everything read from @p in_fd (a pipe or a file, read to end of file) into LTH1 on
 * @p out_fd (written sequentially from its current position), under @p dek for object
 * @p object_id with a fresh random salt. Memory is O(segment * threads). @p threads: 0 = auto
 * (both cores for large inputs), 1 = single-threaded; the output does not depend on it.
 * @return LETHE_OK; LETHE_ERR_INVALID (segment size); LETHE_ERR_IO/NOSPC; LETHE_ERR_CRYPTO;
 *         LETHE_ERR_NOMEM.
 */
enum lethe_err lt_lth_encrypt(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
			      unsigned seg_log2, int in_fd, int out_fd, unsigned threads,
			      struct lt_lth_info *info);

/* Called after each part of a file a verification has read and verified, in file order. */
typedef void (*lt_lth_read_fn)(uint64_t file_bytes, uint64_t plaintext_bytes, void *ctx);

/*
 * As lt_lth_encrypt(), calling @p on_write (may be NULL) from the calling thread after each
 * batch of segments (about 512 KiB) is written, with its LTH1 bytes and its plaintext bytes:
 * the progress of a large put.
 */
enum lethe_err lt_lth_encrypt_progress(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				       unsigned seg_log2, int in_fd, int out_fd, unsigned threads,
				       lt_lth_read_fn on_write, void *ctx,
				       struct lt_lth_info *info);

/* As lt_lth_encrypt() with a given salt: for the test vectors only. */
enum lethe_err lt_lth_encrypt_salt(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				   unsigned seg_log2, const uint8_t salt[32], int in_fd, int out_fd,
				   unsigned threads, struct lt_lth_info *info);

/*
 * Decrypt plaintext bytes [offset, offset+length) of the LTH1 file @p in_fd (read with pread,
 * so it must be seekable) to @p out_fd (-1: verify only, write nothing). Checks, in order: the
 * header's bounds, the key commitment (constant time), the header tag, then each covering
 * segment; writes a segment's plaintext only after it verified. A range ending at or past the
 * end requires the final segment to verify (so the size is trusted). @p length LETHE_TO_END
 * means to the end; a range past the end is cut there.
 * @param written receives the plaintext bytes written, also on failure (then the verified
 *        segments that went out before it; a failed write may have gone out in part).
 * A range that stays clear of the final segment does not read it (docs/FORMAT.md, "Byte
 * ranges"): damage past the range is not reported by such a read.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (detail: what failed: "key commitment mismatch (wrong
 *         key or object)", "header tag", "segment 7 failed authentication", "truncated", ...);
 *         LETHE_ERR_INVALID (offset beyond the end); LETHE_ERR_IO; LETHE_ERR_NOMEM.
 */
enum lethe_err lt_lth_decrypt(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16], int in_fd,
			      int out_fd, uint64_t offset, uint64_t length, unsigned threads,
			      uint64_t *written);

/* As lt_lth_decrypt(), reading the LTH1 bytes from @p in (an object store's ranged get, see
 * store/objstore.h): its size stands for the file size, its reads for pread. */
enum lethe_err lt_lth_decrypt_from(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				   const struct lt_bytesrc *in, int out_fd, uint64_t offset,
				   uint64_t length, unsigned threads, uint64_t *written);

/*
 * As lt_lth_decrypt_from(), calling @p on_write (may be NULL) from the calling thread after
 * each batch of verified plaintext is written, with 0 and the plaintext bytes it wrote: the
 * progress of a large get.
 */
enum lethe_err lt_lth_decrypt_progress(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				       const struct lt_bytesrc *in, int out_fd, uint64_t offset,
				       uint64_t length, unsigned threads, lt_lth_read_fn on_write,
				       void *ctx, uint64_t *written);

/*
 * Read the whole LTH1 file @p in_fd back and check everything lt_lth_decrypt() checks, writing
 * the plaintext nowhere, and compute the SHA-256 of every byte of the file in the same read
 * (scrub). @p on_read (may be NULL) is called by the calling thread with the file bytes (the
 * header included) and the plaintext bytes of each verified batch, about 512 KiB at a time;
 * it may sleep to pace the reads, which workers never run ahead of by more than two batches
 * each. @p threads as for lt_lth_decrypt(); the calling thread hashes, workers open.
 * @param file_sha256 receives the SHA-256 of the file, to compare with what was recorded
 *        when it was written (all zero on failure).
 * @param plaintext_size receives the verified plaintext size.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (what failed, as lt_lth_decrypt(); also "file changed
 *         size while it was read"); LETHE_ERR_INVALID (not a regular file); LETHE_ERR_IO;
 *         LETHE_ERR_NOMEM; LETHE_ERR_CRYPTO.
 */
enum lethe_err lt_lth_verify(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16], int in_fd,
			     unsigned threads, lt_lth_read_fn on_read, void *ctx,
			     uint8_t file_sha256[32], uint64_t *plaintext_size);

/* As lt_lth_verify(), reading the LTH1 bytes from @p in (see lt_lth_decrypt_from()). */
enum lethe_err lt_lth_verify_from(const uint8_t dek[LT_KEY_LEN], const uint8_t object_id[16],
				  const struct lt_bytesrc *in, unsigned threads,
				  lt_lth_read_fn on_read, void *ctx, uint8_t file_sha256[32],
				  uint64_t *plaintext_size);

/*
 * Parse and bounds-check the header of @p in_fd without any key: segment size and object id.
 * LETHE_ERR_INTEGRITY for anything that is not an LTH1 header.
 */
enum lethe_err lt_lth_peek(int in_fd, unsigned *seg_log2, uint8_t object_id[16]);

#endif
