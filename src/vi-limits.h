/* vi-limits.h - hard limits on everything a hostile input can claim.
 *
 * Each is far above what real QEMU streams need (the corpus: trailers of
 * 44-110 KiB, 30-40 device sections, 3000-55000 decoded values; about 400
 * values and 5.5 KiB of trailer per vCPU) and low enough that a hostile
 * stream cannot make one run take more than a few seconds or more than a
 * few hundred MiB (the JSON view is written as it goes, never built).
 * Memory in bytes is bounded by one budget on top of these (vi-budget.h):
 * 128 MiB + 6 bytes per stream byte + 24 per byte of JSON file read.
 */
#ifndef VI_LIMITS_H
#define VI_LIMITS_H

#define VI_MAX_VMDESC_LEN      (4u << 20)    /* bytes of VMDESCRIPTION JSON; parsed,
						jansson needs up to 80 bytes per byte */
#define VI_MAX_DESC_DEPTH      32            /* nesting of vmdesc structs/subsections */
#define VI_MAX_RAM_BLOCKS      4096          /* RAMBlocks in one MEM_SIZE list */
#define VI_MAX_SECTIONS        65536u        /* distinct section ids */
#define VI_MAX_PACKAGED_DEPTH  2             /* PACKAGED inside PACKAGED */
#define VI_MAX_SCAN            (1ull << 30)  /* bytes searched for a section footer */
#define VI_MAX_EMPTY_ELEMS     4096u         /* elements that take no stream bytes,
						per section */
#define VI_MAX_HANDWRITTEN     (64u << 20)   /* bytes of a virtio / SCSI request payload
                                               decoded into fields (larger: one blob) */
#define VI_MAX_PREVIEW         64            /* bytes of hex shown for a blob */
#define VI_PACK_ELEMS          65536u        /* integer array elements from which an
						array is one value, not a node each */
#define VI_MAX_PAGE_SIZE       (1u << 30)    /* largest plausible RAM page size */
/* A pipe or compressed input is read once (input-reader-stream.c): everything
 * but RAM page contents is kept in memory until the walk is done, at most
 * VI_MAX_KEPT bytes (VMSTATE_INSPECT_MAX_KEPT sets another, in MiB).  That
 * bounds a decompression bomb's memory; its time is linear in the bytes it
 * expands to, and nothing is written to disk. */
#ifndef VI_FUZZ_LIMITS
#define VI_MAX_NODES           (1u << 19)    /* decoded tree nodes alive at once */
#define VI_MAX_NODE_WORK       (1u << 20)    /* tree nodes made in one walk, also
						those a fallback throws away again */
#define VI_MAX_SPOOL           (16ull << 30) /* temporary bytes written for one input
						(a qcow2 snapshot's VM state) */
#define VI_MAX_KEPT            (256ull << 20)
#else
/* Fuzzing builds (tests/fuzz/local.mk): the same paths, reached with less
 * work per input, so an instrumented run stays well inside its timeout. */
#define VI_MAX_NODES           (1u << 16)
#define VI_MAX_NODE_WORK       (1u << 17)
#define VI_MAX_SPOOL           (256ull << 20)
#define VI_MAX_KEPT            (64ull << 20)
#endif

#endif
