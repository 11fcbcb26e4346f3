/* SPDX-License-Identifier: MIT */
/*
 * blkid-stub.c — for the size benchmark only (tests/bench/run.sh): the
 * libblkid calls agent/rootdev.c makes, each failing as libblkid does when
 * no device has the tag, so that the agent can be linked without libblkid
 * to measure what libblkid adds. Never shipped.
 */
#include <blkid/blkid.h>
#include <stddef.h>

int blkid_get_cache(blkid_cache *cache, const char *filename)
{
	(void)filename;
	*cache = NULL;
	return -1;
}

char *blkid_evaluate_tag(const char *token, const char *value, blkid_cache *cache)
{
	(void)token;
	(void)value;
	(void)cache;
	return NULL;
}

void blkid_put_cache(blkid_cache cache)
{
	(void)cache;
}
