#!/usr/bin/python3
"""Run the deployed ticketd command line (`java -jar JAR ARGS... --config CONFIG`) with the node's own
secrets in its environment, read from the EnvironmentFile systemd gives the node, so that the
secrets never pass through Ansible. Usage: ticketd_cli.py JAR CONFIG SECRETS ARGS...
"""
import os
import sys


def main():
    if len(sys.argv) < 5:
        print("usage: ticketd_cli.py JAR CONFIG SECRETS ARGS...", file=sys.stderr)
        return 2
    jar, config, secrets, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    env = dict(os.environ)
    with open(secrets, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
    os.execvpe("java", ["java", "-jar", jar, *args, "--config", config], env)


if __name__ == "__main__":
    sys.exit(main())
