# The test hosts' connection: community.docker.nsenter with pipelining.
#
# The test reaches its booted hosts (systemd-nspawn) by entering their namespaces with nsenter.
# The collection's plugin runs every command as root already and hands a command's input to it
# on stdin, which is all Ansible's pipelining needs, but it declares no pipelining, so every task
# paid for a temporary directory, a copy of the module, a chmod, the run and a removal: five
# nsenter calls instead of one. This class only declares it; the roles do not depend on it (over
# SSH in production, ansible.cfg's pipelining setting applies to the ssh plugin).
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: ticketd_nsenter
short_description: the test hosts' nsenter connection, with pipelining
description:
  - Enters the namespaces of a booted test host's init, as community.docker.nsenter does,
    and runs modules by pipelining (the module on the interpreter's stdin).
author: ticketd
options:
  nsenter_pid:
    description: the PID of the host's init, whose namespaces are entered
    type: int
    vars:
      - name: ansible_nsenter_pid
extends_documentation_fragment:
  - connection_pipelining
'''

from ansible_collections.community.docker.plugins.connection.nsenter import Connection as NsenterConnection


class Connection(NsenterConnection):
    transport = 'ticketd_nsenter'
    has_pipelining = True
