// SPDX-License-Identifier: GPL-2.0
/*
 * The memory notifier's constants and struct, which rust/ffi/notifier.rs
 * mirrors: a kernel that changes them fails the build here.
 */

#include <linux/build_bug.h>
#include <linux/memory.h>
#include <linux/notifier.h>

/* enum memory_block_state, mirrored by `MemAction` (0..7 in 6.12.117). */
static_assert(MEM_ONLINE == 0);
static_assert(MEM_GOING_OFFLINE == 1);
static_assert(MEM_OFFLINE == 2);
static_assert(MEM_GOING_ONLINE == 3);
static_assert(MEM_CANCEL_ONLINE == 4);
static_assert(MEM_CANCEL_OFFLINE == 5);
static_assert(MEM_PREPARE_ONLINE == 6);
static_assert(MEM_FINISH_OFFLINE == 7);

/* struct memory_notify, mirrored by `MemoryNotify`. */
static_assert(offsetof(struct memory_notify, altmap_start_pfn) == 0);
static_assert(offsetof(struct memory_notify, altmap_nr_pages) == 8);
static_assert(offsetof(struct memory_notify, start_pfn) == 16);
static_assert(offsetof(struct memory_notify, nr_pages) == 24);
static_assert(offsetof(struct memory_notify, status_change_nid_normal) == 32);
static_assert(offsetof(struct memory_notify, status_change_nid) == 36);
static_assert(sizeof(struct memory_notify) == 40);

/* notifier return codes, mirrored in rust/ffi/notifier.rs. */
static_assert(NOTIFY_OK == 0x0001);
static_assert(NOTIFY_STOP_MASK == 0x8000);

unsigned long pcpool_memory_block_size_bytes(void)
{
	return memory_block_size_bytes();
}
