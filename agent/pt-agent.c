/* SPDX-License-Identifier: MIT */
/* pt-agent.c — main() of the agent; the work is in agent.c. */
#include <unistd.h>

#include "agent.h"
#include "chaininit.h"

int main(int argc, char **argv)
{
	/* As PID 1 the agent must never simply return: the kernel would
	 * panic. It hands over to the real init instead. */
	if (getpid() == 1)
		return pt_chain_init(argc, argv);
	return pt_agent_main(argc, argv);
}
