/**
 * `-c, --config <file>`, which every command takes: the file named by GATEHOUSE_CONFIG, else
 * gatehouse.yaml in the working directory.
 */
export const configOption = ['-c, --config <file>', 'config file', process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml'] as const;
