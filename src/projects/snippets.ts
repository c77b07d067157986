/**
 * Setup snippets for the common SDKs, filled in with a project's DSN. Only
 * errors matter to Sluice, so the snippets leave tracing and replay off: they
 * would send data that is accepted and dropped.
 */
export interface Snippet {
  readonly id: string;
  readonly label: string;
  /** How to install the SDK: a shell line, or a build-file line. */
  readonly install: string;
  readonly code: string;
}

/** The DSN as a string literal: it is ours (hex key, URL), but quoting it properly costs nothing. */
const q = (dsn: string) => JSON.stringify(dsn);

export function sdkSnippets(dsn: string): Snippet[] {
  return [
    {
      id: 'browser',
      label: 'Browser JavaScript',
      install: 'npm install @sentry/browser',
      code: `import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: ${q(dsn)},
});`,
    },
    {
      id: 'node',
      label: 'Node.js',
      install: 'npm install @sentry/node',
      code: `// instrument.mjs: load it first, e.g. node --import ./instrument.mjs app.mjs
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: ${q(dsn)},
});`,
    },
    {
      id: 'python',
      label: 'Python',
      install: 'pip install sentry-sdk',
      code: `import sentry_sdk

sentry_sdk.init(
    dsn=${q(dsn)},
)`,
    },
    {
      id: 'go',
      label: 'Go',
      install: 'go get github.com/getsentry/sentry-go',
      code: `import (
	"log"
	"time"

	"github.com/getsentry/sentry-go"
)

func main() {
	if err := sentry.Init(sentry.ClientOptions{
		Dsn: ${q(dsn)},
	}); err != nil {
		log.Fatalf("sentry.Init: %s", err)
	}
	defer sentry.Flush(2 * time.Second)
}`,
    },
    {
      id: 'php',
      label: 'PHP',
      install: 'composer require sentry/sentry',
      code: `\\Sentry\\init([
    'dsn' => '${dsn.replace(/[\\']/g, '\\$&')}',
]);`,
    },
    {
      id: 'java',
      label: 'Java',
      install: '// build.gradle.kts\nimplementation("io.sentry:sentry:latest.release")',
      code: `import io.sentry.Sentry;

Sentry.init(options -> {
    options.setDsn(${q(dsn)});
});`,
    },
    {
      id: 'dotnet',
      label: '.NET',
      install: 'dotnet add package Sentry',
      code: `using Sentry;

SentrySdk.Init(options =>
{
    options.Dsn = ${q(dsn)};
});`,
    },
    {
      id: 'ruby',
      label: 'Ruby',
      install: 'gem install sentry-ruby',
      code: `require "sentry-ruby"

Sentry.init do |config|
  config.dsn = ${q(dsn)}
end`,
    },
  ];
}
