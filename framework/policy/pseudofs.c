/* SPDX-License-Identifier: ISC */
/*
 * pseudofs.c - the pseudo filesystems the file broker refuses unless a
 * rule names them (fs NAME): filesystems whose files are views of the
 * kernel's or a process's state, not stored data.  Opened by the helper,
 * /proc/self is the helper; a file in sysfs, debugfs or tracefs can be a
 * control of the machine.  Names are those of /proc/filesystems; the
 * magic numbers are statfs(2)'s f_type (linux/magic.h, and the kernel's
 * sources for the few Debian 12's header lacks).
 */
#include <stddef.h>
#include <string.h>

#include "policy.h"

static const struct {
	const char *name;
	unsigned long magic;
} pseudo[POL_FS_COUNT] = {
    {"proc", 0x9fa0},            /* PROC_SUPER_MAGIC */
    {"sysfs", 0x62656572},       /* SYSFS_MAGIC */
    {"debugfs", 0x64626720},     /* DEBUGFS_MAGIC */
    {"tracefs", 0x74726163},     /* TRACEFS_MAGIC */
    {"securityfs", 0x73636673},  /* SECURITYFS_MAGIC */
    {"selinuxfs", 0xf97cff8c},   /* SELINUX_MAGIC */
    {"smackfs", 0x43415d53},     /* SMACK_MAGIC */
    {"configfs", 0x62656570},    /* CONFIGFS_MAGIC, fs/configfs */
    {"bpf", 0xcafe4a11},         /* BPF_FS_MAGIC */
    {"cgroup", 0x27e0eb},        /* CGROUP_SUPER_MAGIC */
    {"cgroup2", 0x63677270},     /* CGROUP2_SUPER_MAGIC */
    {"pstore", 0x6165676c},      /* PSTOREFS_MAGIC */
    {"efivarfs", 0xde5e81e4},    /* EFIVARFS_MAGIC */
    {"devpts", 0x1cd1},          /* DEVPTS_SUPER_MAGIC: terminals */
    {"mqueue", 0x19800202},      /* MQUEUE_MAGIC, ipc/mqueue.c */
    {"binfmt_misc", 0x42494e4d}, /* BINFMTFS_MAGIC */
    {"fusectl", 0x65735543},     /* FUSE_CTL_SUPER_MAGIC, fs/fuse */
    {"nsfs", 0x6e736673},        /* NSFS_MAGIC */
    {"pidfs", 0x50494446},       /* PID_FS_MAGIC, Linux 6.9+ */
    {"resctrl", 0x7655821},      /* RDTGROUP_SUPER_MAGIC */
    {"rpc_pipefs", 0x67596969},  /* RPCAUTH_GSSMAGIC, net/sunrpc */
    {"xenfs", 0xabba1974},       /* XENFS_SUPER_MAGIC */
};

unsigned pol_pseudofs_bit(const char *name)
{
	for (unsigned i = 0; i < POL_FS_COUNT; i++)
		if (!strcmp(pseudo[i].name, name))
			return 1u << i;
	return 0;
}

unsigned pol_pseudofs_of(unsigned long f_type, const char **name)
{
	/* f_type is a signed long on some ABIs: compare the low 32 bits */
	for (unsigned i = 0; i < POL_FS_COUNT; i++)
		if ((f_type & 0xffffffffu) == pseudo[i].magic) {
			if (name)
				*name = pseudo[i].name;
			return 1u << i;
		}
	return 0;
}

const char *pol_pseudofs_name(unsigned i)
{
	return i < POL_FS_COUNT ? pseudo[i].name : NULL;
}
