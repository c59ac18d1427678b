/** A serialport `SerialPortMock` that answers each written command through `script`, like a board would. */
import { SerialPortMock } from 'serialport';

export interface MockBoard {
  port: SerialPortMock;
  /** Every command written, without its CR. */
  written: string[];
  /** The board goes silent: writes are accepted but never answered. */
  silence(): void;
}

/** `written` collects the commands; pass one array to keep a record across reopened ports. */
export async function openMockBoard(
  portPath: string,
  script: (cmd: string) => string | null | undefined,
  written: string[] = [],
): Promise<MockBoard> {
  SerialPortMock.binding.createPort(portPath);
  const port = new SerialPortMock({ path: portPath, baudRate: 9600 });
  await new Promise<void>((resolve, reject) => port.on('open', resolve).on('error', reject));
  const binding = port.port!;
  const write = binding.write.bind(binding);
  binding.write = async (buffer: Buffer) => {
    await write(buffer);
    for (const cmd of buffer.toString('latin1').split('\r').filter(Boolean)) {
      written.push(cmd);
      const reply = script(cmd);
      if (typeof reply === 'string') binding.emitData(Buffer.from(reply, 'latin1'));
    }
  };
  return { port, written, silence: () => void (binding.write = write) };
}
