/* vi-format.h - the record bytes of a QEMU migration stream
 * (migration/savevm.c; docs/stream-format.md of the developers' brief). */
#ifndef VI_FORMAT_H
#define VI_FORMAT_H

/* QEMU_VM_* record types. */
enum {
	QVM_EOF = 0x00, QVM_SECTION_START = 0x01, QVM_SECTION_PART = 0x02,
	QVM_SECTION_END = 0x03, QVM_SECTION_FULL = 0x04, QVM_SUBSECTION = 0x05,
	QVM_VMDESCRIPTION = 0x06, QVM_CONFIGURATION = 0x07, QVM_COMMAND = 0x08,
	QVM_SECTION_FOOTER = 0x7e,
};

#define QEVM_MAGIC 0x5145564du
#define QEVM_VERSION 3
#define QEVM_VERSION_COMPAT 2

#endif
