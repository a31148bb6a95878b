/* vi-limits.h - hard limits on everything a hostile input can claim. */
#ifndef VI_LIMITS_H
#define VI_LIMITS_H

#define VI_MAX_VMDESC_LEN      (64u << 20)   /* bytes of VMDESCRIPTION JSON */
#define VI_MAX_DESC_DEPTH      32            /* nesting of vmdesc structs/subsections */
#define VI_MAX_RAM_BLOCKS      4096          /* RAMBlocks in one MEM_SIZE list */
#define VI_MAX_SECTIONS        (1u << 20)    /* distinct section ids */
#define VI_MAX_PACKAGED_DEPTH  2             /* PACKAGED inside PACKAGED */
#define VI_MAX_SCAN            (1ull << 30)  /* bytes searched for a section footer */
#define VI_MAX_NODES           (16u << 20)   /* decoded tree nodes */
#define VI_MAX_PREVIEW         64            /* bytes of hex shown for a blob */
#define VI_MAX_SPOOL           (64ull << 30) /* bytes copied from a pipe or filter */
#define VI_MAX_PAGE_SIZE       (1u << 30)    /* largest plausible RAM page size */

#endif
