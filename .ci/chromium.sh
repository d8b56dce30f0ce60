# Sourced by .ci/run: makes sure Debian's chromium is installed for the dashboard's end-to-end tests
# (test/dashboard/), and tells them to require it, so a missing browser fails CI instead of skipping.
# BATON_CHROMIUM, when already set, names the browser to use and skips the install.

if [[ -z "${BATON_CHROMIUM:-}" ]]; then
  if ! command -v chromium >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      echo "== installing chromium (Debian) for the dashboard tests"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
      echo "chromium is missing and cannot be installed here (needs root and apt-get)" >&2
      exit 1
    fi
  fi
  export BATON_CHROMIUM="$(command -v chromium)"
fi
export BATON_TEST_BROWSER=require
