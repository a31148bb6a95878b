# libFuzzer harnesses (./configure --enable-fuzzing CC=clang); see tests/fuzz/README.md.
