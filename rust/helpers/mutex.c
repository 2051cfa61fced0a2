// SPDX-License-Identifier: GPL-2.0
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched.h>

/* rust/callback_mutex.rs: lockdep_off() and lockdep_on() are macros. */
void pcpool_mutex_lock_untracked(struct mutex *lock)
{
	lockdep_off();
	mutex_lock(lock);
	lockdep_on();
}

void pcpool_mutex_unlock_untracked(struct mutex *lock)
{
	lockdep_off();
	mutex_unlock(lock);
	lockdep_on();
}
