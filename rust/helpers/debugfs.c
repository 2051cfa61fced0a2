// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/build_bug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

/* A debugfs file served by Rust. */
struct pcpool_dfile {
	const char *name;
	const void *owner;
	int (*show)(struct seq_file *m, const void *owner, unsigned int id);
	int (*write)(const void *owner, unsigned int id, const char *buf, size_t len);
	unsigned int id;
	unsigned short mode;
};


/*
 * debugfs files whose show and write callbacks are in Rust
 * (rust/ffi/debugfs.rs mirrors struct pcpool_dfile).
 */
static_assert(offsetof(struct pcpool_dfile, name) == 0);
static_assert(offsetof(struct pcpool_dfile, owner) == 8);
static_assert(offsetof(struct pcpool_dfile, show) == 16);
static_assert(offsetof(struct pcpool_dfile, write) == 24);
static_assert(offsetof(struct pcpool_dfile, id) == 32);
static_assert(offsetof(struct pcpool_dfile, mode) == 36);
static_assert(sizeof(struct pcpool_dfile) == 40);

static int pcpool_dfile_show(struct seq_file *m, void *unused)
{
	const struct pcpool_dfile *f = m->private;

	return f->show ? f->show(m, f->owner, f->id) : -EINVAL;
}

static int pcpool_dfile_open(struct inode *inode, struct file *file)
{
	return single_open(file, pcpool_dfile_show, inode->i_private);
}

/* Writes are small commands ("256", "1"): up to 63 bytes, NUL-terminated. */
static ssize_t pcpool_dfile_write(struct file *file, const char __user *ubuf, size_t len,
				  loff_t *ppos)
{
	const struct pcpool_dfile *f = file_inode(file)->i_private;
	char buf[64];
	int ret;

	if (!f->write)
		return -EINVAL;
	if (len >= sizeof(buf)) {
		pr_err("%s: write of %zu bytes refused (at most %zu)\n", f->name, len,
		       sizeof(buf) - 1);
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = f->write(f->owner, f->id, buf, len);
	return ret ? ret : len;
}

static const struct file_operations pcpool_dfile_fops = {
	.owner = THIS_MODULE,
	.open = pcpool_dfile_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = pcpool_dfile_write,
};

struct dentry *pcpool_debugfs_create(const char *dir_name, struct pcpool_dfile *files,
				     unsigned int nr_files)
{
	struct dentry *dir = debugfs_create_dir(dir_name, NULL);
	unsigned int i;

	for (i = 0; i < nr_files; i++)
		debugfs_create_file(files[i].name, files[i].mode, dir, &files[i],
				    &pcpool_dfile_fops);
	return dir;
}

/* Removes the directory; waits for callbacks running on its files. */
void pcpool_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
}

void pcpool_seq_print(struct seq_file *m, const void *args)
{
	seq_printf(m, "%pA", args);
}
