#!/usr/bin/env bash
# Installs the system packages pitlane's launcher and tests need, on Debian/Ubuntu,
# only where they are missing:
#   - a Java 17+ runtime and Maven: the local Kafka broker, schema registry and Flink
#     cluster are resolved from Maven Central and run on the JVM (`pitlane dev up`);
#   - a Java 17 compiler (the JDK): the Flink versions of the demo jobs (flink/) are
#     built from source by `mvn package`;
#   - Chromium: the test suite opens the HTML diff report in headless Chromium;
#   - kcat (librdkafka's command-line client): the tests write topics with each
#     compression codec through it and read pitlane's compressed sinks back;
#   - xmllint (libxml2-utils): the tests validate `canary gate --junit` output
#     against the JUnit XML schema.
# Node.js 20 and npm are assumed present (they run this project).
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present (java, javac, mvn, chromium, kcat, xmllint)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "system packages: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
