#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { doctorCommand } from './doctor.js';
import { federationCommand } from './federation.js';
import { initCommand } from './init.js';
import { keysListCommand, keysGenerateCommand } from './keys.js';
import { configOption } from './options.js';
import { serveCommand } from './serve.js';
import { syncCommand } from './sync.js';

const program = new Command('gatehouse').description('AD FS-style federation server for Active Directory and Microsoft Entra ID');

program.command('serve').description('run the token service').option(...configOption).action(serveCommand);
program
  .command('init')
  .description('write a commented config with fresh secrets and a self-signed TLS certificate')
  .option(...configOption)
  .requiredOption('--public-url <url>', 'https URL users reach Gatehouse at', 'https://localhost:8443')
  .requiredOption('--domain <name...>', 'federated UPN suffix(es)')
  .option('--dc <url...>', 'domain controllers (ldaps://host)')
  .option('--base-dn <dn>', 'search base')
  .option('--service-dn <dn>', 'lookup account DN or UPN')
  .option('--service-password-env <name>', 'GATEHOUSE_… variable that holds the lookup account password', 'GATEHOUSE_LDAP_PASSWORD')
  .option('--ca-file <file>', 'CA bundle of the DCs’ LDAPS certificates')
  .option('--users-file <file>', 'use the file directory instead of AD')
  .option('--force', 'overwrite an existing config')
  .action(initCommand);
const keys = program.command('keys').description('token-signing certificates');
keys.command('list').description('list certificates and their status').option(...configOption).option('--json', 'machine-readable output').action(keysListCommand);
keys
  .command('generate')
  .description('generate a signing key as the next one (or the active one when there is none)')
  .option(...configOption)
  .action(keysGenerateCommand);
program
  .command('doctor')
  .description('check config, store, domain controllers and signing certificate')
  .option(...configOption)
  .option('--json', 'machine-readable output')
  .action(doctorCommand);
program.addCommand(syncCommand());
program.addCommand(federationCommand());

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`gatehouse: bad config: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`gatehouse: ${(err as Error).message}\n`);
  process.exit(1);
}
