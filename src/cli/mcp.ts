import type { Command } from 'commander';
import { InfrastructureUnavailableError, TollgateInputError } from '../errors.js';
import type { UpstreamSpec } from '../integrations/mcp/upstream.js';
import { SubjectSchema } from '../policy/request.js';
import { configOf } from './context.js';
import { parseArgument, readJsonArgument } from './io.js';

const port = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new TollgateInputError(`--listen: expected a port number (0-65535), got "${value}"`, '--listen');
  return parsed;
};

export function registerMcpCommands(program: Command): void {
  program.command('mcp')
    .description('a governed MCP server in front of an existing one: every tools/call passes Tollgate first')
    .usage('--upstream -- CMD [ARGS...] | --upstream-url URL [--listen PORT] [--subject JSON]')
    .option('--upstream', 'start the upstream MCP server: the command and its arguments follow `--`')
    .option('--upstream-url <url>', 'the upstream MCP server\'s Streamable HTTP endpoint')
    .option('--listen <port>', 'serve Streamable HTTP on this port (agents authenticate with a token from mcp.agents); default: stdio', port)
    .option('--host <host>', 'address to listen on with --listen', '127.0.0.1')
    .option('--subject <json|@file>', 'who the calls run as, when serving stdio: {"identifier":"agent-7","roles":["agent"]}')
    .option('--name <name>', 'server name in resources mcp://<name>/<tool> (default: what the upstream calls itself)')
    .option('--task-queue <queue>', 'task queue for this gateway\'s upstream calls (default: derived from the name and the upstream)')
    .argument('[command...]', 'with --upstream: the upstream command and its arguments, after --')
    .action(async (command: string[], options, cmd: Command) => {
      const upstream = upstreamOf(options, command);
      if (options.listen === undefined && options.subject === undefined) throw new TollgateInputError('--subject: serving stdio needs the subject the calls run as (or --listen PORT for HTTP agents with tokens)', '--subject');
      if (options.listen !== undefined && options.subject !== undefined) throw new TollgateInputError('--subject: over HTTP each agent\'s token names its subject (config mcp.agents); drop --subject', '--subject');
      const subject = options.subject === undefined ? undefined : parseArgument(SubjectSchema, readJsonArgument(options.subject, '--subject'), '--subject');
      const config = configOf(cmd);
      // Loaded here so that other commands never load the MCP SDK and the Temporal worker.
      const [{ Runtime }, { temporalLogger }, { startMcpGateway }, { upstreamEnvironment }] = await Promise.all([
        import('@temporalio/worker'), import('../temporal/logger.js'), import('../integrations/mcp/start.js'), import('../integrations/mcp/upstream.js'),
      ]);
      // An activity-only worker warns on every start that it polls no workflows: that is this
      // gateway's design, not news.
      Runtime.install({ logger: temporalLogger({ ignore: (message) => message.startsWith('No workflows registered') }) });
      const running = await startMcpGateway({
        config, name: options.name, taskQueue: options.taskQueue,
        upstream: 'command' in upstream ? { ...upstream, env: upstreamEnvironment(process.env) } : upstream,
        serve: subject ? { stdio: { subject } } : { http: { port: options.listen, host: options.host } },
      });
      // stdout is the MCP stream when serving stdio: everything for people goes to stderr.
      process.stderr.write(`tollgate mcp: governing "${running.gateway.name}" (${running.tools} tools) ${running.url ? `at ${running.url}` : 'on stdio'}; upstream calls run on task queue ${running.gateway.taskQueue}\n`);
      const stop = () => void running.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if ((await running.closed) === 'upstream closed') {
        throw new InfrastructureUnavailableError(`tollgate mcp: the upstream "${running.gateway.name}" closed its connection; stopped (calls waiting for approval run when a gateway for it starts again)`);
      }
    });
}

function upstreamOf(options: { upstream?: boolean; upstreamUrl?: string }, command: string[]): UpstreamSpec {
  if (options.upstream && options.upstreamUrl !== undefined) throw new TollgateInputError('--upstream-url: give either --upstream -- CMD or --upstream-url URL, not both', '--upstream-url');
  if (options.upstreamUrl !== undefined) {
    if (command.length) throw new TollgateInputError(`--upstream-url: unexpected command "${command.join(' ')}" (a command goes with --upstream)`, '--upstream-url');
    try {
      return { url: new URL(options.upstreamUrl).href };
    } catch {
      throw new TollgateInputError(`--upstream-url: "${options.upstreamUrl}" is not a URL`, '--upstream-url');
    }
  }
  if (!options.upstream || command.length === 0) throw new TollgateInputError('--upstream: name the upstream MCP server: --upstream -- CMD [ARGS...] or --upstream-url URL', '--upstream');
  const [executable, ...args] = command;
  return { command: executable, args };
}
