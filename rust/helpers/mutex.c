// SPDX-License-Identifier: GPL-2.0
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>

/* rust/callback_mutex.rs: a mutex held across notifier callbacks, out of lockdep's sight. */
struct pcpool_cb_mutex {
	struct mutex lock;
	struct task_struct *owner;
};

struct pcpool_cb_mutex *pcpool_cb_mutex_new(void)
{
	struct pcpool_cb_mutex *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (m)
		mutex_init(&m->lock);
	return m;
}

void pcpool_cb_mutex_free(struct pcpool_cb_mutex *m)
{
	WARN_ON_ONCE(m->owner);
	mutex_destroy(&m->lock);
	kfree(m);
}

void pcpool_cb_mutex_lock(struct pcpool_cb_mutex *m)
{
	lockdep_off();
	mutex_lock(&m->lock);
	lockdep_on();
	WRITE_ONCE(m->owner, current);
}

int pcpool_cb_mutex_unlock(struct pcpool_cb_mutex *m)
{
	if (READ_ONCE(m->owner) != current)
		return -EPERM;
	WRITE_ONCE(m->owner, NULL);
	lockdep_off();
	mutex_unlock(&m->lock);
	lockdep_on();
	return 0;
}

bool pcpool_cb_mutex_held_by_current(struct pcpool_cb_mutex *m)
{
	return READ_ONCE(m->owner) == current;
}
