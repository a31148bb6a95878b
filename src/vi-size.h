/* vi-size.h - checked arithmetic for sizes, counts and offsets computed from
 * input: a count times an element size, an offset plus a length.  Each is
 * true when the result fits in *out's type (then *out is it); false on
 * overflow (then the size is not believed: the caller treats it as "does
 * not fit", never as a wrapped small number).  Type-generic: a, b and *out
 * may be any integer types (GCC and Clang builtins). */
#ifndef VI_SIZE_H
#define VI_SIZE_H

#define vi_mul_ok(a, b, out) (!__builtin_mul_overflow((a), (b), (out)))
#define vi_add_ok(a, b, out) (!__builtin_add_overflow((a), (b), (out)))

#endif
