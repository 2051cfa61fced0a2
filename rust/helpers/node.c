// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/topology.h>

/* NUMA nodes. */
unsigned int pcpool_nr_node_ids(void)
{
	return nr_node_ids;
}

int pcpool_node_distance(int from, int to)
{
	return node_distance(from, to);
}

/*
 * Whether node @nid has memory a chunk of the kind can come from: present
 * pages in its ZONE_MOVABLE for @movable, else any memory. Memory hotplug
 * updates both before it sends MEM_ONLINE or MEM_OFFLINE.
 */
bool pcpool_node_has_memory(int nid, bool movable)
{
	if (nid < 0 || nid >= MAX_NUMNODES || !node_state(nid, N_MEMORY))
		return false;
	return !movable || populated_zone(&NODE_DATA(nid)->node_zones[ZONE_MOVABLE]);
}
