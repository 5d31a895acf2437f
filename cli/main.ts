#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { auditCommand } from './audit.js';
import { doctorCommand } from './doctor.js';
import { federationCommand } from './federation.js';
import { initCommand } from './init.js';
import { lockoutCommand } from './lockout.js';
import { keysExportCommand, keysGenerateCommand, keysImportCommand, keysListCommand, keysPromoteCommand, keysRekeyCommand, keysRetireCommand, keysStatusCommand } from './keys.js';
import { configOption } from './options.js';
import { serveCommand } from './serve.js';
import { mfaCommand } from './mfa.js';
import { clientCommand } from './client.js';
import { storeCommand } from './store.js';
import { syncCommand } from './sync.js';
import { trustCommand } from './trust.js';

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
const keys = program.command('keys').description('token-signing and token-decrypting certificates (AD FS *-AdfsCertificate)');
keys.command('list').description('every certificate: role, state, validity, whether Entra knows it').option(...configOption).option('--json', 'machine-readable output').action(keysListCommand);
keys.command('status').description('certificates, the next rollover steps and Entra’s state; exit 1 when something needs you').option(...configOption).option('--json', 'machine-readable output').action(keysStatusCommand);
keys
  .command('generate')
  .description('generate a self-signed certificate, next when an active one exists, else active')
  .option(...configOption)
  .option('--role <role>', 'signing or decrypting', 'signing')
  .option('--state <state>', 'next or active')
  .option('--subject <dn>', 'subject, e.g. "CN=ADFS Signing - sts.corp.example.com"')
  .option('--days <n>', 'validity in days (default keys.signingValidityDays)')
  .option('--bits <n>', 'RSA key size: 2048, 3072 or 4096 (default keys.signingKeyBits)')
  .option('--force', 'make a new signing certificate active although Entra cannot know it yet')
  .action(keysGenerateCommand);
keys
  .command('import <file>')
  .description('import a PFX/PKCS#12 file, or a PEM certificate with --key')
  .option(...configOption)
  .option('--key <file>', 'PEM private key (PKCS#8 or PKCS#1) of a PEM certificate')
  .option('--password-env <name>', 'environment variable holding the PFX or key password')
  .option('--role <role>', 'signing or decrypting', 'signing')
  .option('--state <state>', 'next or active')
  .option('--force', 'make it active although Entra does not know it yet')
  .action(keysImportCommand);
keys.command('export <thumbprint>').description('the public certificate, PEM or DER').option(...configOption).option('--format <format>', 'pem or der', 'pem').option('--out <file>', 'write to a file instead of stdout').action(keysExportCommand);
keys.command('promote <thumbprint>').description('make a certificate the active one (refused until Entra knows it)').option(...configOption).option('--force', 'promote even though Entra does not know it yet').action(keysPromoteCommand);
keys.command('retire <thumbprint>').description('stop using and publishing a certificate').option(...configOption).action(keysRetireCommand);
keys.command('rekey').description('re-seal every private key under a new key-encryption key').option(...configOption).requiredOption('--new-key-env <name>', 'environment variable holding the new 32-byte base64 key').action(keysRekeyCommand);
program
  .command('doctor')
  .description('check the whole chain: config, store, domain controllers, clock, signing certificate, public endpoint, metadata, Entra’s federation settings and a synthetic sign-in')
  .option(...configOption)
  .option('--json', 'machine-readable output')
  .option('--offline', 'skip what needs Gatehouse running (public endpoint, metadata, synthetic sign-in), e.g. before the first start')
  .action(doctorCommand);
program.addCommand(syncCommand());
program.addCommand(federationCommand());
program.addCommand(storeCommand());
program.addCommand(lockoutCommand());
program.addCommand(mfaCommand());
program.addCommand(clientCommand());
program.addCommand(trustCommand());
program.addCommand(auditCommand());

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
