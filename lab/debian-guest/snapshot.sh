#!/bin/sh
# Before cloud-init's final stage (runcmd, where the agent is installed): the disk's listing for
# the --uninstall check of faults.sh. cloud-init's own files up to here (write_files: the
# first-boot values, token, CA and script) are the operator's, not the installer's.
. /root/vo/common.sh
snapshot >/root/vo/before.list
