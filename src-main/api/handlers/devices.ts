/** devices.*: the plotters' ports, their links, and the manual controls of a plotter at rest. */
import { sendCarriageHome } from '../../app/home';
import { VfabError } from '../../errors';
import { listEbbPorts, usbNickname } from '../../plotter/devices';
import { movePen, preflightDevice, releaseMotors } from '../../plotter/preflight';
import { plotterFor } from '../../plotters/plotters';
import { refuseWhilePlotting, type HandlersFor, type ServiceParts } from './context';

export function deviceHandlers(parts: ServiceParts): HandlersFor<'devices'> {
  const { engine, links, queue } = parts;
  return {
    'devices.list': async () => {
      const detected = await listEbbPorts().catch((err: Error) => err);
      return {
        model: engine.config.device.model,
        configured: engine.config.device.port ?? null,
        detected:
          detected instanceof Error
            ? []
            : detected.map((d) => ({
                path: d.path,
                nickname: usbNickname(d),
                serial: d.serialNumber ?? null,
              })),
        error: detected instanceof Error ? detected.message : null,
        virtual: true,
      };
    },

    'devices.status': () => ({ plotters: links.list() }),

    'devices.check': async (p) => {
      refuseWhilePlotting(parts, 'the pre-flight');
      const report = await preflightDevice(
        p.device ?? null,
        engine.config.device,
        engine.paths.dataDir,
      );
      // It answered: whatever said it was lost is over.
      links.answered(plotterFor(engine.config, p.device ?? null).name);
      return report;
    },

    'devices.release': (p) => {
      refuseWhilePlotting(parts, 'releasing the motors');
      return releaseMotors(p.device ?? null, engine.config.device, engine.paths.dataDir);
    },

    'devices.pen': (p) => {
      refuseWhilePlotting(parts, 'moving the pen');
      return movePen(p.device ?? null, engine.config.device, engine.paths.dataDir, p.position);
    },

    'devices.home': (p) => {
      refuseWhilePlotting(parts, 'sending the carriage home');
      const plotter = plotterFor(engine.config, p.device ?? null);
      const doing = queue.busyWith(plotter);
      if (doing)
        throw new VfabError(
          'BUSY',
          `Plotter '${plotter.name}' is taken by the queue: ${doing}. Stop the queue (or let it finish) first.`,
        );
      return sendCarriageHome(engine, p.device, {
        ...(p.carriageAtHome ? { carriageAtHome: true } : {}),
        ...(p.speed ? { speed: p.speed } : {}),
      });
    },
  };
}
